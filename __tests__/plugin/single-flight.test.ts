import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, RefreshFailedError, type TokenStore } from '../../lib';
import { startApi } from '../helpers/api-server';
import { bearer, TokenAuthority } from '../helpers/token-authority';
import { closeAll, harness, seedRejected, sleep } from '../helpers/setup';

afterEach(closeAll);

class LockCountingStore extends MemoryTokenStore {
  lockAttempts = 0;
  override acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    this.lockAttempts += 1;
    return super.acquireLock(key, owner, ttlMs);
  }
  /** A read that may take the lock in the same step: a lock attempt too. */
  override getOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }) {
    this.lockAttempts += 1;
    return super.getOrLock(key, lock);
  }
}

describe('single-flight refresh', () => {
  it('refreshes exactly once when 50 concurrent requests are rejected, and all 50 succeed: one flight, one lock attempt', async () => {
    // The store counts lock attempts: in-process single-flight means one flight for the 50
    // rejections (the cross-process lock loop alone would also end in one refresh, after 50 attempts).
    const store = new LockCountingStore();
    const h = await harness({ store }, { latencyMs: 50 });
    const stale = await seedRejected(h);
    const locksBefore = store.lockAttempts;

    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => h.client.get(`/items/${i}`)));

    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(h.authority.refreshCount).toBe(1);
    expect(h.authority.contexts[0]?.reason).toBe('rejected');
    const fresh = [...h.authority.accepted][0] as string;
    const sent = h.api.requests.map((r) => r.authorization);
    expect(sent.filter((a) => a === bearer(stale))).toHaveLength(50);
    expect(sent.filter((a) => a === bearer(fresh))).toHaveLength(50);
    expect(h.handle.stats()).toMatchObject({ refreshes: 1, replays: 50, failures: 0 });
    expect(store.lockAttempts - locksBefore).toBe(1);
  });

  it('replays with the newer token and does not refresh when another process already replaced the rejected version', async () => {
    // Two axios instances on one store stand in for two processes. This store has no change
    // notices, so the second "process" only learns of the new token when it is rejected.
    const authority = new TokenAuthority();
    const api = await startApi(authority.handler());
    const memory = new MemoryTokenStore();
    const noNotices: TokenStore = {
      get: (k) => memory.get(k),
      compareAndSet: (k, n, v, o) => memory.compareAndSet(k, n, v, o),
      acquireLock: (k, o, t) => memory.acquireLock(k, o, t),
      releaseLock: (k, o) => memory.releaseLock(k, o),
    };
    const first = axios.create({ baseURL: api.url });
    const second = axios.create({ baseURL: api.url });
    const firstHandle = attachTokenRefresh(first, { refresh: authority.refresh, store: noNotices });
    const secondHandle = attachTokenRefresh(second, { refresh: authority.refresh, store: noNotices });
    try {
      const original = authority.issue();
      await firstHandle.setToken({ accessToken: original, refreshToken: 'r0', expiresIn: 3600 });
      await first.get('/warm');
      await second.get('/warm'); // both now hold version 1 in memory
      authority.revokeAll();

      await first.get('/a'); // rejected → refresh → version 2
      expect(authority.refreshCount).toBe(1);
      const response = await second.get('/b'); // rejected with version 1 → store has 2 → replay only

      expect(response.status).toBe(200);
      expect(authority.refreshCount).toBe(1);
      const toB = api.requests.filter((r) => r.path === '/b').map((r) => r.authorization);
      expect(toB).toEqual([bearer(original), bearer([...authority.accepted][0] as string)]);
      expect(secondHandle.stats()).toMatchObject({ refreshes: 0, replays: 1 });
    } finally {
      firstHandle.detach();
      secondHandle.detach();
      await api.close();
    }
  });

  it('rejects every waiting request with the same RefreshFailedError when the refresh fails', async () => {
    // Deterministic: the refresh fails only once all 10 rejections have reached the plugin. A
    // response interceptor registered before the plugin's sees each one just before the plugin
    // does; the refresh then waits one more timer turn, so every rejection has joined the flight
    // (counting requests the API received is not enough: a response can still be on its way).
    const authority = new TokenAuthority();
    const api = await startApi(authority.handler());
    const client = axios.create({ baseURL: api.url });
    let rejectionsSeen = 0;
    client.interceptors.response.use(undefined, (error: unknown) => {
      rejectionsSeen += 1;
      return Promise.reject(error);
    });
    const handle = attachTokenRefresh(client, {
      refresh: async (ctx) => {
        while (rejectionsSeen < 10) await sleep(5);
        await sleep(5);
        return authority.refresh(ctx);
      },
    });
    try {
      await handle.setToken({ accessToken: 'revoked-access-token', refreshToken: 'refresh-0', expiresIn: 3600 });
      authority.failWith = new Error('token endpoint exploded');

      const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.get('/x')));

      const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : undefined));
      expect(reasons[0]).toBeInstanceOf(RefreshFailedError);
      for (const reason of reasons) expect(reason).toBe(reasons[0]);
      expect((reasons[0] as RefreshFailedError).retryable).toBe(true);
      expect(authority.refreshCount).toBe(1);
      expect(api.requests).toHaveLength(10); // no replay was sent
      expect(handle.stats()).toMatchObject({ refreshFailures: 1, failures: 10 });
    } finally {
      handle.detach();
      await api.close();
    }
  });

  it('refreshes a missing token once for a burst of first requests, with reason "missing"', async () => {
    const h = await harness();

    await Promise.all(Array.from({ length: 20 }, () => h.client.get('/x')));

    expect(h.authority.refreshCount).toBe(1);
    expect(h.authority.contexts[0]).toMatchObject({ reason: 'missing', current: null, key: 'default' });
    expect(h.api.requests).toHaveLength(20);
    expect(Object.isFrozen(h.authority.contexts[0])).toBe(true);
  });

  it('fails with RefreshFailedError when refresh() does not settle within refreshTimeoutMs, and aborts its signal', async () => {
    const h = await harness({ refreshTimeoutMs: 100, lockTtlMs: 1000 });
    let signal: AbortSignal | undefined;
    h.handle.detach();
    const client = axios.create({ baseURL: h.api.url });
    const handle = attachTokenRefresh(client, {
      refreshTimeoutMs: 100,
      lockTtlMs: 1000,
      refresh: (context) => {
        signal = context.signal;
        return new Promise(() => undefined);
      },
    });
    try {
      const error = await client.get('/x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RefreshFailedError);
      expect((error as Error).message).toMatch(/refreshTimeoutMs \(100 ms\)/);
      expect(signal?.aborted).toBe(true);
      expect(h.api.requests).toHaveLength(0);
    } finally {
      handle.detach();
    }
  });

  it('rejects a refresh result without a usable accessToken and writes nothing', async () => {
    const api = await startApi();
    const client = axios.create({ baseURL: api.url });
    const junk: unknown[] = [{}, { accessToken: 42 }, { accessToken: 'ok', expiresIn: -5 }, null, 'a-string'];
    let call = 0;
    // No backoff between attempts, so each junk answer is seen (backoff has its own tests).
    const handle = attachTokenRefresh(client, { refresh: async () => junk[call++] as never, refreshBackoffMs: { initial: 0, max: 0 } });
    try {
      for (const _ of junk) {
        const error = await client.get('/x').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RefreshFailedError);
        expect((error as Error).message).toMatch(/refresh\(\) returned an unusable token/);
      }
      expect(api.requests).toHaveLength(0);
      await expect(handle.getToken()).rejects.toBeInstanceOf(RefreshFailedError); // still nothing stored
    } finally {
      handle.detach();
      await api.close();
    }
  });
});
