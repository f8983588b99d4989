import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, oauth2, StoreUnavailableError, type TokenSet, type TokenStore } from '../../lib';
import { startFakeProvider } from '../../lib/testing';
import { startApi } from '../helpers/api-server';
import { TokenAuthority } from '../helpers/token-authority';
import { Cleanups } from '../helpers/setup';

/** A user-provided store whose backend can go down: every call rejects while `down`. */
class FlakyStore implements TokenStore {
  down = false;
  calls = 0;
  readonly #inner = new MemoryTokenStore();
  #guard<T>(run: () => Promise<T>): Promise<T> {
    this.calls += 1;
    return this.down ? Promise.reject(new Error('ECONNREFUSED 10.0.0.5:6379')) : run();
  }
  get(key: string) {
    return this.#guard(() => this.#inner.get(key));
  }
  compareAndSet(key: string, next: TokenSet, expected: number, owner: string) {
    return this.#guard(() => this.#inner.compareAndSet(key, next, expected, owner));
  }
  acquireLock(key: string, owner: string, ttl: number) {
    return this.#guard(() => this.#inner.acquireLock(key, owner, ttl));
  }
  releaseLock(key: string, owner: string) {
    return this.#guard(() => this.#inner.releaseLock(key, owner));
  }
}

const cleanups = new Cleanups();
afterEach(async () => {
  await cleanups.run();
});

async function setup(onStoreError: 'local' | 'fail', rotatesRefreshTokens = false) {
  // A token endpoint with latency: a burst of rejections lands while one refresh is still running,
  // so it is in-process single-flight (not luck of timing) that keeps it to one refresh.
  const authority = new TokenAuthority({ rotatesRefreshTokens, latencyMs: 50 });
  const api = await startApi(authority.handler());
  const store = new FlakyStore();
  const client = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(client, { refresh: authority.refresh, store, onStoreError });
  const events: string[] = [];
  handle.events.on('store-degraded', (e) => events.push(`degraded:${e.operation}`));
  handle.events.on('store-recovered', () => events.push('recovered'));
  cleanups.push(async () => {
    handle.detach();
    await api.close();
  });
  return { authority, api, store, client, handle, events };
}

describe("onStoreError: 'local' (default)", () => {
  it('keeps serving and refreshing with the in-process token while the store is down, and announces degrade and recovery once each', async () => {
    const s = await setup('local');
    await s.handle.setToken({ accessToken: s.authority.issue(), refreshToken: 'long-lived-refresh-token' });
    await s.handle.invalidate();
    await s.client.get('/warm'); // one refresh shows the provider keeps its refresh tokens
    s.store.down = true;
    s.authority.revokeAll(); // the provider rejects the token while the store is down

    const during = await Promise.all(Array.from({ length: 10 }, () => s.client.get('/during')));
    expect(during.every((r) => r.status === 200)).toBe(true);
    expect(s.authority.refreshCount).toBe(2); // one in-process refresh for the burst
    expect(s.events).toEqual(['degraded:get']);

    // Degraded: no more calls to the broken store; a probe looks for recovery every second.
    const callsWhileDown = s.store.calls;
    await s.client.get('/still-down');
    expect(s.store.calls).toBe(callsWhileDown);

    s.store.down = false;
    const deadline = Date.now() + 3_000;
    while (!s.events.includes('recovered') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(s.events).toEqual(['degraded:get', 'recovered']);
    s.authority.revokeAll();
    await s.client.get('/after');
    expect(s.store.calls).toBeGreaterThan(callsWhileDown); // back to using the store
  });

  it('does not refresh a credential whose provider rotates refresh tokens while the store is down (another process could spend the same one): a retryable StoreUnavailableError, valid tokens still sent', async () => {
    const s = await setup('local', true);
    await s.handle.setToken({ accessToken: s.authority.issue(), refreshToken: 'refresh-0' });
    await s.handle.invalidate();
    await s.client.get('/warm'); // one refresh shows rotation
    s.store.down = true;
    expect((await s.client.get('/cached-and-valid')).status).toBe(200); // the circuit opens here or later
    s.authority.revokeAll();

    const during = await Promise.all(Array.from({ length: 5 }, () => s.client.get('/during').catch((e: unknown) => e)));

    for (const error of during) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).retryable).toBe(true);
      expect((error as Error).message).toMatch(/could spend a rotating refresh token twice/);
    }
    expect(s.authority.refreshCount).toBe(1); // only the one before the outage
  });
});

describe("onStoreError: 'fail'", () => {
  it('rejects with a retryable StoreUnavailableError, without calling the API', async () => {
    const s = await setup('fail');
    s.store.down = true;
    const error = await s.client.get('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).retryable).toBe(true);
    expect(s.api.requests).toHaveLength(0);
    expect(s.events).toEqual([]);
  });
});

describe('hot path', () => {
  it('makes no store call for requests with a valid cached token', async () => {
    const s = await setup('local');
    await s.client.get('/warm');
    const before = s.store.calls;
    await Promise.all(Array.from({ length: 100 }, () => s.client.get('/hot')));
    expect(s.store.calls).toBe(before);
  });
});

describe('change notices while this process cannot reach the store', () => {
  it('a notice never erases the only copy: a degraded process still refreshes from it', async () => {
    const provider = await startFakeProvider({ rotateRefreshTokens: false });
    const shared = new MemoryTokenStore();
    let bDown = false;
    // Process B's view of the shared store: its commands fail while down, but notices still arrive
    // (a subscriber connection can come back before the command path's circuit closes).
    const storeB: TokenStore = {
      get: (k) => (bDown ? Promise.reject(new Error('down')) : shared.get(k)),
      compareAndSet: (k, n, v, o) => (bDown ? Promise.reject(new Error('down')) : shared.compareAndSet(k, n, v, o)),
      acquireLock: (k, o, t) => (bDown ? Promise.reject(new Error('down')) : shared.acquireLock(k, o, t)),
      releaseLock: (k, o) => (bDown ? Promise.reject(new Error('down')) : shared.releaseLock(k, o)),
      subscribe: (listener) => shared.subscribe(listener),
    };
    const refresh = oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'c', clientSecret: 's' });
    const a = axios.create({ baseURL: provider.url });
    const b = axios.create({ baseURL: provider.url });
    const handleA = attachTokenRefresh(a, { refresh, store: shared });
    const handleB = attachTokenRefresh(b, { refresh, store: storeB });
    try {
      await handleA.setToken(provider.authorize());
      await handleA.invalidate();
      await a.get('/warm'); // one refresh shows this provider keeps its refresh tokens
      await b.get('/warm');

      bDown = true;
      provider.revokeAccessTokens();
      await b.get('/b-degraded'); // B refreshes in-process
      await handleA.invalidate();
      await a.get('/a-refreshes'); // A writes a newer version; B hears about it but cannot read it
      await new Promise((resolve) => setTimeout(resolve, 20));
      provider.revokeAccessTokens();

      const response = await b.get('/b-needs-a-refresh');

      expect(response.status).toBe(200);
      expect(provider.stats.reuseDetections).toBe(0);
    } finally {
      handleA.detach();
      handleB.detach();
      await provider.close();
    }
  });
});
