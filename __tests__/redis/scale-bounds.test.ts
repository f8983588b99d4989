/**
 * The bounds a multi-tenant worker relies on (one credential per customer, thousands of them):
 * - the in-process copy holds at most `maxCachedTokens` credentials; an evicted one costs one store
 *   read on its next use — no lock, no refresh while the stored token is valid;
 * - at most `maxConcurrentRefreshes` refreshes run at once per process, requests waiting on a token
 *   go before background refreshes, and a request's place in line is bounded by `refreshTimeoutMs`;
 * - a store whose entries expire (`RedisTokenStore` `ttlMs`) is accepted only with `persist`.
 */
import axios from 'axios';
import {
  attachTokenRefresh,
  MemoryTokenStore,
  oauth2,
  RedisTokenStore,
  RefreshFailedError,
  type RefreshContext,
  type TokenInput,
  type TokenRefreshHandle,
  type TokenSet,
} from '../../lib';
import { startFakeProvider, startRedisServer, type FakeProvider, type RedisServer } from '../../lib/testing';
import { startApi, type TestApi } from '../helpers/api-server';
import { createRedis } from '../helpers/redis-client';

/** A MemoryTokenStore that counts what it is asked, as a Redis would see it. */
class CountingStore extends MemoryTokenStore {
  reads = 0;
  locks = 0;
  override get(key: string): Promise<TokenSet | null> {
    this.reads += 1;
    return super.get(key);
  }
  override acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    this.locks += 1;
    return super.acquireLock(key, owner, ttlMs);
  }
  /** A read that takes the lock only when the store has nothing newer: a lock only if it took one. */
  override async getOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }) {
    this.reads += 1;
    const answer = await super.getOrLock(key, lock);
    if (answer.locked) this.locks += 1;
    return answer;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let api: TestApi;
const handles: TokenRefreshHandle[] = [];
beforeEach(async () => {
  api = await startApi();
});
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.detach();
  await api.close();
});

function attachPerTenant(
  options: Partial<Parameters<typeof attachTokenRefresh>[1]> & { refresh: (ctx: RefreshContext) => Promise<TokenInput> },
) {
  const instance = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(instance, { key: (config) => String(config.headers.get('X-Tenant')), ...options });
  handles.push(handle);
  const call = (tenant: string) => instance.get('/data', { headers: { 'X-Tenant': tenant } });
  return { instance, handle, call };
}

async function seed(store: MemoryTokenStore, tenants: number, expiresIn = 3600): Promise<void> {
  const seeder = attachTokenRefresh(axios.create({ baseURL: api.url }), {
    store,
    refresh: async () => ({ accessToken: 'unused' }),
    maxCachedTokens: 1,
  });
  for (let i = 0; i < tenants; i++)
    await seeder.setToken({ accessToken: `at-tenant-${i}`, refreshToken: `rt-${i}`, expiresIn }, `tenant-${i}`);
  seeder.detach();
}

describe('maxCachedTokens', () => {
  it('never holds more than maxCachedTokens credentials, however many tenants are touched', async () => {
    const store = new CountingStore();
    await seed(store, 300);
    let refreshes = 0;
    const { handle, call } = attachPerTenant({ store, maxCachedTokens: 50, refresh: async () => ((refreshes += 1), { accessToken: 'x' }) });

    let peak = 0;
    for (let i = 0; i < 300; i++) {
      await call(`tenant-${i}`);
      peak = Math.max(peak, handle.stats().cachedTokens);
    }

    expect(peak).toBe(50);
    expect(handle.stats().cachedTokens).toBe(50);
    expect(refreshes).toBe(0);
    expect(api.requests.map((r) => r.authorization)).toEqual(Array.from({ length: 300 }, (_, i) => `Bearer at-tenant-${i}`));
  });

  it('reads an evicted credential from the store exactly once, with no lock and no refresh; cached ones cost nothing', async () => {
    const store = new CountingStore();
    await seed(store, 20);
    let refreshes = 0;
    const { call } = attachPerTenant({ store, maxCachedTokens: 10, refresh: async () => ((refreshes += 1), { accessToken: 'x' }) });
    for (let i = 0; i < 20; i++) await call(`tenant-${i}`); // tenants 10–19 are the ones held now
    const before = { reads: store.reads, locks: store.locks };

    await call('tenant-15'); // held
    const afterCached = { reads: store.reads, locks: store.locks };
    await call('tenant-0'); // evicted long ago
    const afterEvicted = { reads: store.reads, locks: store.locks };

    expect(afterCached).toEqual(before);
    expect(afterEvicted).toEqual({ reads: before.reads + 1, locks: before.locks });
    expect(refreshes).toBe(0);
    expect(api.requests.at(-1)?.authorization).toBe('Bearer at-tenant-0');
  });

  it('keeps the credentials in use: a tenant used between others is not the one evicted (second chance)', async () => {
    const store = new CountingStore();
    await seed(store, 12);
    const { call } = attachPerTenant({ store, maxCachedTokens: 10, refresh: async () => ({ accessToken: 'x' }) });
    for (let i = 0; i < 10; i++) await call(`tenant-${i}`);
    await call('tenant-0'); // busy tenant, used again
    await call('tenant-10'); // evicts one credential
    await call('tenant-11'); // and another
    const reads = store.reads;

    await call('tenant-0');

    expect(store.reads).toBe(reads); // still held: no store read
  });

  it.each([0, -1, 1.5, '10', Number.NaN])('refuses maxCachedTokens %p at attach time', (value) => {
    expect(() =>
      attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
        refresh: async () => ({ accessToken: 'x' }),
        maxCachedTokens: value as number,
      }),
    ).toThrow(/`maxCachedTokens` must be a positive integer/);
  });
});

describe('change notices for credentials this process does not hold', () => {
  it('cost no store call and leave nothing behind', async () => {
    const store = new CountingStore();
    let notify: ((key: string, version?: number) => void) | undefined;
    const listening: typeof store = Object.assign(Object.create(store) as typeof store, {
      subscribe: (listener: (key: string, version?: number) => void) => {
        notify = listener;
        return () => undefined;
      },
    });
    await seed(store, 5);
    const { handle, call } = attachPerTenant({ store: listening, refresh: async () => ({ accessToken: 'x' }) });
    for (let i = 0; i < 5; i++) await call(`tenant-${i}`);
    const before = { reads: store.reads, locks: store.locks, cached: handle.stats().cachedTokens };

    for (let i = 0; i < 100_000; i++) notify?.(`someone-else-${i}`, 7);

    expect({ reads: store.reads, locks: store.locks, cached: handle.stats().cachedTokens }).toEqual(before);
    await call('tenant-3'); // a held credential is still served from memory
    expect(store.reads).toBe(before.reads);
  });
});

describe('maxConcurrentRefreshes', () => {
  let provider: FakeProvider;
  beforeEach(async () => {
    provider = await startFakeProvider({ tokenLatencyMs: 40 });
  });
  afterEach(() => provider.close());

  it('never runs more refreshes at once than allowed, and every request still gets a fresh token', async () => {
    const store = new MemoryTokenStore();
    const grant = oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' });
    const instance = axios.create({ baseURL: provider.url });
    const handle = attachTokenRefresh(instance, {
      store,
      key: (config) => String(config.headers.get('X-Tenant')),
      refresh: grant,
      maxConcurrentRefreshes: 3,
    });
    handles.push(handle);
    for (let i = 0; i < 30; i++) await handle.setToken(provider.authorize(), `tenant-${i}`);
    provider.revokeAccessTokens();

    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => instance.get('/me', { headers: { 'X-Tenant': `tenant-${i}` } })),
    );

    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(provider.stats.refreshes).toBe(30);
    expect(provider.stats.peakConcurrentTokenRequests).toBe(3);
  });

  it('serves a request waiting on an expired token before queued background refreshes', async () => {
    const order: string[] = [];
    let running = 0;
    let peak = 0;
    const refresh = async ({ key }: RefreshContext): Promise<TokenInput> => {
      running += 1;
      peak = Math.max(peak, running);
      order.push(key);
      await sleep(key === 'urgent' ? 10 : 150);
      running -= 1;
      return { accessToken: `fresh-${key}`, expiresIn: 3600 };
    };
    const store = new MemoryTokenStore();
    const { handle, call } = attachPerTenant({ store, refresh, maxConcurrentRefreshes: 1, refreshSkewMs: 60_000 });
    // Ten credentials past half their lifetime (refresh is due) but still valid: refreshed in the background.
    for (let i = 0; i < 10; i++) await handle.setToken({ accessToken: `due-${i}`, refreshToken: `rt-${i}`, expiresIn: 4 }, `due-${i}`);
    await handle.setToken({ accessToken: 'expired-soon', refreshToken: 'rt-x', expiresIn: 1 }, 'urgent');
    await sleep(3_100); // the ten are due (from 2–3 s of their 4 s, jittered), 'urgent' has expired

    await Promise.all(Array.from({ length: 10 }, (_, i) => call(`due-${i}`))); // sent at once with the due tokens; 10 background refreshes queue
    await call('urgent'); // must wait for a refresh: goes ahead of the queued background ones

    expect(api.requests.slice(0, 10).every((r) => r.authorization?.startsWith('Bearer due-'))).toBe(true);
    expect(api.requests.at(-1)?.authorization).toBe('Bearer fresh-urgent');
    expect(order.indexOf('urgent')).toBeLessThanOrEqual(1); // at most the one background refresh already running went first
    expect(peak).toBe(1);
    await sleep(1_700);
    expect(order).toHaveLength(11);
    expect(peak).toBe(1);
  });

  it('promotes a queued background refresh once a request waits on it (its token expired meanwhile)', async () => {
    const order: string[] = [];
    const refresh = async ({ key }: RefreshContext): Promise<TokenInput> => {
      order.push(key);
      await sleep(400);
      return { accessToken: `fresh-${key}`, expiresIn: 3600 };
    };
    const { handle, call } = attachPerTenant({ refresh, maxConcurrentRefreshes: 1 });
    const keys = ['bg-0', 'bg-1', 'bg-2', 'bg-3', 'bg-4', 'late'];
    for (const key of keys) await handle.setToken({ accessToken: `old-${key}`, refreshToken: `rt-${key}`, expiresIn: 4 }, key);
    await sleep(3_050); // all due, all still valid: six background refreshes, one at a time, 400 ms each, 'late' last

    for (const key of keys) await call(key);
    await sleep(1_000); // 'late' has expired; its background refresh is still in line
    await call('late'); // waits on it: promoted ahead of bg-3 and bg-4

    expect(api.requests.at(-1)?.authorization).toBe('Bearer fresh-late');
    expect(order.slice(0, 4)).toEqual(['bg-0', 'bg-1', 'bg-2', 'late']);
  }, 15_000);

  it('bounds a waiting request by refreshTimeoutMs when every slot stays busy: a retryable RefreshFailedError', async () => {
    // Every refresh hangs until refreshTimeoutMs: the one slot is busy for 300 ms at a time.
    const refresh = async ({ signal }: RefreshContext): Promise<TokenInput> => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return { accessToken: 'too-late' };
    };
    const { handle, call } = attachPerTenant({ refresh, maxConcurrentRefreshes: 1, refreshTimeoutMs: 300, lockTtlMs: 1_000 });

    const first = handle.getToken('first').catch((e: unknown) => e); // holds the slot
    await sleep(20);
    const second = call('second').catch((e: unknown) => e); // next in line: gets the slot at ~300 ms
    const third = call('third').catch((e: unknown) => e); // still in line at ~320 ms: gives up
    const [, , thirdError] = await Promise.all([first, second, third]);

    expect(thirdError).toBeInstanceOf(RefreshFailedError);
    expect((thirdError as RefreshFailedError).retryable).toBe(true);
    expect((thirdError as Error).message).toMatch(/maxConcurrentRefreshes/);
    expect(api.requests).toHaveLength(0);
  });

  it('shows queued refreshes in stats(), and detach() ends them', async () => {
    const refresh = async ({ signal }: RefreshContext): Promise<TokenInput> => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return { accessToken: 'never' };
    };
    const { handle } = attachPerTenant({ refresh, maxConcurrentRefreshes: 1, refreshTimeoutMs: 5_000, lockTtlMs: 10_000 });

    const waits = ['a', 'b', 'c'].map((key) => handle.getToken(key).catch((e: unknown) => e));
    await sleep(50);
    const queued = handle.stats().queuedRefreshes;
    handle.detach();
    const outcomes = await Promise.all(waits);

    expect(queued).toBe(2);
    expect(outcomes.every((outcome) => axios.isCancel(outcome))).toBe(true);
  });
});

describe('RedisTokenStore ttlMs', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  it('is refused without persist, accepted with it, and sets the entry TTL on every write', async () => {
    const client = createRedis(redis.port);
    try {
      const expiring = new RedisTokenStore(client, { prefix: 'ttl', ttlMs: 60_000 });
      expect(() =>
        attachTokenRefresh(axios.create({ baseURL: api.url }), { store: expiring, refresh: async () => ({ accessToken: 'x' }) }),
      ).toThrow(/needs option `persist`/);

      const saved = new Map<string, TokenSet>();
      const handle = attachTokenRefresh(axios.create({ baseURL: api.url }), {
        store: expiring,
        refresh: async () => ({ accessToken: 'refreshed', expiresIn: 3600 }),
        persist: { load: async (key) => saved.get(key) ?? null, save: async (key, token) => void saved.set(key, token) },
      });
      handles.push(handle);
      await handle.setToken({ accessToken: 'seeded', refreshToken: 'rt', expiresIn: 3600 });
      const afterSeed = Number(await client.call('PTTL', 'ttl:{default}:token'));
      await handle.invalidate();
      await handle.getToken();
      const afterRefresh = Number(await client.call('PTTL', 'ttl:{default}:token'));

      expect(afterSeed).toBeGreaterThan(50_000);
      expect(afterSeed).toBeLessThanOrEqual(60_000);
      expect(afterRefresh).toBeGreaterThan(50_000);

      // Without ttlMs, entries never expire.
      const plain = attachTokenRefresh(axios.create({ baseURL: api.url }), {
        store: new RedisTokenStore(client, { prefix: 'plain' }),
        refresh: async () => ({ accessToken: 'x' }),
      });
      handles.push(plain);
      await plain.setToken({ accessToken: 'seeded', refreshToken: 'rt' });
      expect(Number(await client.call('PTTL', 'plain:{default}:token'))).toBe(-1);
    } finally {
      for (const handle of handles.splice(0)) handle.detach();
      await client.quit();
    }
  });

  it('loads an expired credential back from persist on next use, with no refresh', async () => {
    const client = createRedis(redis.port);
    const saved = new Map<string, TokenSet>();
    let refreshes = 0;
    try {
      const options = {
        store: new RedisTokenStore(client, { prefix: 'ttl-load', ttlMs: 1_000 }),
        refresh: async () => ((refreshes += 1), { accessToken: 'refreshed' }),
        persist: {
          load: async (key: string) => saved.get(key) ?? null,
          save: async (key: string, token: TokenSet) => void saved.set(key, token),
        },
      };
      const writer = attachTokenRefresh(axios.create({ baseURL: api.url }), options);
      await writer.setToken({ accessToken: 'kept-in-db', refreshToken: 'rt', expiresIn: 3600 });
      writer.detach();
      await sleep(1_200); // the Redis entry expired
      expect(await client.call('EXISTS', 'ttl-load:{default}:token')).toBe(0);

      const reader = attachTokenRefresh(axios.create({ baseURL: api.url }), options);
      handles.push(reader);
      const token = await reader.getToken();

      expect(token.accessToken).toBe('kept-in-db');
      expect(refreshes).toBe(0);
      expect(await client.call('EXISTS', 'ttl-load:{default}:token')).toBe(1);
    } finally {
      for (const handle of handles.splice(0)) handle.detach();
      await client.quit();
    }
  });

  it.each([0, 999, 1.5, 'x'])('refuses ttlMs %p', (ttlMs) => {
    expect(() => new RedisTokenStore({ call: async () => null, duplicate: () => ({}) as never }, { ttlMs: ttlMs as number })).toThrow(
      /`ttlMs` must be/,
    );
  });
});
