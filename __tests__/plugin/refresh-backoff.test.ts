/**
 * A failing token endpoint is not hammered: retryable failures put the credential in a jittered,
 * doubling backoff shared by the whole fleet through the store (honouring `Retry-After`), and an
 * `invalid_grant` is remembered fleet-wide for that token version. Callers in the window get typed
 * errors at once: `RefreshFailedError` (retryable, with `retryAfterMs`) or `ReauthorizationRequiredError`.
 */
import axios, { type AxiosInstance } from 'axios';
import {
  attachTokenRefresh,
  MemoryTokenStore,
  oauth2,
  ReauthorizationRequiredError,
  RedisTokenStore,
  RefreshFailedError,
  type TokenRefreshHandle,
  type TokenRefreshOptions,
  type TokenStore,
} from '../../lib';
import { FailureMemory } from '../../lib/refresh/failure-memory';
import { KnownSecrets } from '../../lib/secrets/known-secrets';
import { StoreGuard } from '../../lib/refresh/store-guard';
import { createEvents, createStats } from '../../lib/events';
import { Reporter } from '../../lib/reporting/reporter';
import { startFakeProvider, startRedisServer, type FakeProvider, type RedisServer } from '../../lib/testing';
import { createRedis } from '../helpers/redis-client';
import { Cleanups } from '../helpers/setup';

jest.setTimeout(30_000);

let provider: FakeProvider;
let redis: RedisServer | undefined;
const cleanups = new Cleanups();

beforeEach(async () => {
  provider = await startFakeProvider();
});
afterEach(async () => {
  await cleanups.run();
  await provider.close();
  await redis?.stop();
  redis = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );

function worker(store: TokenStore, options: Partial<TokenRefreshOptions> = {}): { api: AxiosInstance; handle: TokenRefreshHandle } {
  const api = axios.create({ baseURL: provider.url });
  const handle = attachTokenRefresh(api, {
    store,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    refreshBackoffMs: { initial: 500, max: 4_000 },
    ...options,
  });
  cleanups.push(() => handle.detach());
  return { api, handle };
}

async function redisStore(): Promise<RedisTokenStore> {
  redis ??= await startRedisServer();
  const client = createRedis(redis.port);
  cleanups.push(() => client.disconnect());
  return new RedisTokenStore(client, { prefix: 'backoff' });
}

/** Seeds a token that has already expired, so every request needs a refresh. */
async function seedExpired(handle: TokenRefreshHandle): Promise<void> {
  const { accessToken, refreshToken } = provider.authorize();
  await handle.setToken({ accessToken, refreshToken, expiresAt: Date.now() + 150 });
  await sleep(170);
}

/** `loops` request loops for `ms`, each retrying 5 ms after a failure, as an eager job queue would. */
async function storm(api: AxiosInstance, loops: number, ms: number): Promise<unknown[]> {
  const failures: unknown[] = [];
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (Date.now() < until) {
        const outcome = await settle(api.get('/api/x'));
        if (outcome instanceof Error) failures.push(outcome);
        await sleep(5);
      }
    }),
  );
  return failures;
}

describe('backoff after retryable refresh failures', () => {
  it('20 request loops against a token endpoint answering 503 for 3 s: a handful of token calls, every failure retryable with retryAfterMs', async () => {
    provider.setBehaviour({ tokenFault: 'server-error' });
    const { api, handle } = worker(new MemoryTokenStore());
    await seedExpired(handle);

    const failures = await storm(api, 20, 3_000);

    // Attempts at ~0, ~0.5, ~1.5 s (and ~3.5 s, after the storm): doubling from 500 ms, ±20 %.
    expect(provider.stats.tokenRequests.length).toBeGreaterThanOrEqual(2);
    expect(provider.stats.tokenRequests.length).toBeLessThanOrEqual(4);
    expect(failures.length).toBeGreaterThan(100);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(RefreshFailedError);
      expect((failure as RefreshFailedError).retryable).toBe(true);
      expect((failure as RefreshFailedError).retryAfterMs).toBeGreaterThanOrEqual(0);
    }
    expect(failures.some((f) => ((f as RefreshFailedError).retryAfterMs ?? 0) > 100)).toBe(true);
  });

  it('is shared by the fleet: another process in the window fails at once, without calling the token endpoint', async () => {
    provider.setBehaviour({ tokenFault: 'server-error' });
    const first = worker(await redisStore());
    await seedExpired(first.handle);
    await settle(first.api.get('/api/first')); // one call, one 503: backoff recorded in Redis
    const second = worker(await redisStore());

    const error = await settle(second.api.get('/api/second'));

    expect(provider.stats.tokenRequests).toHaveLength(1);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as RefreshFailedError).message).toMatch(/backing off after 1 failed attempt/);
    expect((error as RefreshFailedError).retryAfterMs).toBeGreaterThan(0);
  });

  it("honours the token endpoint's Retry-After", async () => {
    provider.setBehaviour({ tokenFault: 'server-error', retryAfterSeconds: 2 });
    const { api, handle } = worker(new MemoryTokenStore());
    await seedExpired(handle);

    const first = await settle(api.get('/api/a'));
    await storm(api, 4, 1_500);

    expect((first as RefreshFailedError).retryAfterMs).toBeGreaterThanOrEqual(1_900);
    expect(provider.stats.tokenRequests).toHaveLength(1);
  });

  it('a success resets it: the next failure waits the initial delay again, not a doubled one', async () => {
    provider.setBehaviour({ tokenFault: 'server-error', tokenFaultCount: 2 });
    const { api, handle } = worker(new MemoryTokenStore(), { refreshBackoffMs: { initial: 200, max: 10_000 } });
    await seedExpired(handle);
    await settle(api.get('/api/1')); // 503, backoff ~200 ms
    await sleep(300);
    await settle(api.get('/api/2')); // 503, backoff ~400 ms
    await sleep(600);
    expect((await api.get('/api/3')).status).toBe(200); // healed: refreshed

    provider.setBehaviour({ tokenFault: 'server-error', tokenFaultCount: 1 });
    await handle.invalidate();
    const error = await settle(api.get('/api/4'));

    expect((error as RefreshFailedError).retryAfterMs).toBeLessThanOrEqual(240); // 200 ms ± 20 %, not 800
  });
});

describe('invalid_grant', () => {
  it('is remembered in the store for that token version: the fleet makes one call, not one per process; setToken clears it', async () => {
    provider.setBehaviour({ tokenFault: 'invalid_grant' });
    const first = worker(await redisStore());
    await seedExpired(first.handle);
    const second = worker(await redisStore());
    await second.handle.getToken().catch(() => undefined); // second holds the same (expired) version

    const burstA = await Promise.all(Array.from({ length: 10 }, () => settle(first.api.get('/api/a'))));
    const burstB = await Promise.all(Array.from({ length: 10 }, () => settle(second.api.get('/api/b'))));

    expect(provider.stats.tokenRequests).toHaveLength(1);
    for (const error of [...burstA, ...burstB]) expect(error).toBeInstanceOf(ReauthorizationRequiredError);

    provider.setBehaviour({ tokenFault: 'none' });
    await second.handle.setToken(provider.authorize()); // the user authorised again
    expect((await first.api.get('/api/after')).status).toBe(200);
  });
});

describe('the in-process failure memory', () => {
  it('is bounded, and emptied by forgetAll (close / detach)', async () => {
    const guard = new StoreGuard(
      new MemoryTokenStore(),
      'local',
      new Reporter(createEvents(), createStats(), undefined),
      new KnownSecrets(),
      () => undefined,
    );
    const memory = new FailureMemory(guard, { initial: 60_000, max: 60_000 }, Math.random);

    for (let i = 0; i < 20_000; i++) await memory.record(`tenant-${i}`, 1, new RefreshFailedError('down', { key: `tenant-${i}` }));

    expect(memory.size).toBeLessThanOrEqual(10_000);
    expect(() => memory.checkLocal('tenant-19999', 1)).toThrow(RefreshFailedError); // the newest are kept
    memory.forgetAll();
    expect(memory.size).toBe(0);
  });
});
