/**
 * Credential lifecycle across real processes: three fleet workers (child processes) share one
 * credential of a provider that rotates refresh tokens and revokes the family on reuse, on a real
 * redis-server, while this process deletes it, re-seeds it, or flushes Redis.
 */
import axios from 'axios';
import { attachTokenRefresh, RedisTokenStore, type TokenRefreshHandle } from '../../lib';
import { startFakeProvider, startRedisServer, type FakeProvider, type RedisServer } from '../../lib/testing';
import { fleetEnv, spawnWorker, type FleetWorker, type WorkerResult } from '../helpers/fleet';
import { createRedis } from '../helpers/redis-client';
import { Cleanups } from '../helpers/setup';

jest.setTimeout(60_000);

const KEY = 'acct-7';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let redis: RedisServer;
let provider: FakeProvider;
const cleanups = new Cleanups();
beforeEach(async () => {
  [redis, provider] = await Promise.all([startRedisServer(), startFakeProvider({ accessTokenTtlSeconds: 1.5 })]);
});
afterEach(async () => {
  await cleanups.run();
  await provider.close();
  await redis.stop();
});

/** Short lock and refresh bounds, as in the chaos series: a put-back's grace lasts refreshTimeoutMs. */
const TIMING = { LOCK_TTL_MS: '2000', REFRESH_TIMEOUT_MS: '1500', COMMAND_TIMEOUT_MS: '300', REFRESH_BACKOFF_INITIAL_MS: '200' };

/** This process's own handle on the fleet's store (it plays the application's admin path). */
function admin(): TokenRefreshHandle {
  const client = createRedis(redis.port);
  const handle = attachTokenRefresh(axios.create(), {
    origins: 'any',
    store: new RedisTokenStore(client, { prefix: 'fleet' }),
    refresh: async () => ({ accessToken: 'unused' }),
  });
  cleanups.push(
    () => client.quit(),
    () => handle.detach(),
  );
  return handle;
}

/** Spawns `count` workers sending `requests` each at `rate` per second, and releases them once all are ready. */
async function traffic(count: number, requests: number, rate = 40): Promise<FleetWorker[]> {
  const env = fleetEnv(redis.port, provider, KEY, { ...TIMING, REQUESTS: String(requests), RATE: String(rate), CONCURRENCY: '2' });
  const spawned = Array.from({ length: count }, (_, index) => spawnWorker(`w${index}`, env));
  cleanups.push(() => {
    for (const worker of spawned) worker.process.kill();
  });
  await Promise.all(spawned.map((worker) => worker.ready));
  for (const worker of spawned) worker.go();
  return spawned;
}

async function flushAll(): Promise<void> {
  const client = createRedis(redis.port);
  await client.call('FLUSHALL');
  client.disconnect();
}

async function redisKeys(): Promise<string[]> {
  const client = createRedis(redis.port);
  try {
    return ((await client.call('KEYS', '*')) as string[]).sort();
  } finally {
    client.disconnect();
  }
}

const failuresNamed = (results: Array<WorkerResult | undefined>, name: string): number =>
  results.reduce((sum, result) => sum + (result?.failures[name]?.count ?? 0), 0);

it('deleteToken in one process: the other three stop within a second, and nothing writes it back after their copies expire', async () => {
  await admin().setToken(provider.authorize(), KEY);
  const fleet = await traffic(3, 160); // 4 s of traffic each
  await sleep(1_000);

  await admin().deleteToken(KEY);
  const deletedAt = Date.now();
  const refreshesAtDelete = provider.stats.refreshes;
  const results = await Promise.all(fleet.map((worker) => worker.result));

  expect(results.every((result) => result !== undefined)).toBe(true);
  expect(Math.max(...results.map((result) => result?.lastSuccessAt ?? 0))).toBeLessThanOrEqual(deletedAt + 1_000);
  expect(failuresNamed(results, 'ReauthorizationRequiredError')).toBeGreaterThan(0);
  expect(provider.stats.refreshes).toBe(refreshesAtDelete);
  expect(provider.stats.reuseDetections).toBe(0);
  expect(await redisKeys()).toEqual([`fleet:{${KEY}}:deleted`]);
});

it('a re-seed by a process that never held the key, after Redis lost everything, wins in every worker (the old grant revoked): 0 reuse, no failures', async () => {
  const old = provider.authorize();
  await admin().setToken(old, KEY);
  const fleet = await traffic(3, 160);
  await sleep(1_000);

  await flushAll();
  // The customer re-connected: the new grant is seeded and the provider revokes the old one.
  const reseeded = await admin().setToken(provider.authorize(), KEY);
  provider.revokeGrant(old.refreshToken);
  const results = await Promise.all(fleet.map((worker) => worker.result));
  const stored = await admin().getToken(KEY);

  expect(results.map((result) => result?.failures)).toEqual([{}, {}, {}]);
  expect(provider.stats.reuseDetections).toBe(0);
  // The new grant's line: same generation as the seed, refreshed (rotated) since.
  expect(stored.generation).toBe(reseeded.generation);
});

it('after FLUSHALL, a newly started process is served by the copy the running ones hold: no ReauthorizationRequiredError, no reauthorize record', async () => {
  await admin().setToken(provider.authorize(), KEY);
  const running = await traffic(2, 120);
  await sleep(500);

  await flushAll();
  const [newcomer] = [spawnWorker('new', fleetEnv(redis.port, provider, KEY, { ...TIMING, REQUESTS: '20', RATE: '20', CONCURRENCY: '2' }))];
  cleanups.push(() => newcomer?.process.kill());
  await newcomer?.ready; // its first token read, right after the flush
  newcomer?.go();
  const results = await Promise.all([...running, newcomer as FleetWorker].map((worker) => worker.result));

  expect(results.every((result) => result !== undefined)).toBe(true);
  expect(failuresNamed(results, 'ReauthorizationRequiredError')).toBe(0);
  expect(results[2]?.succeeded).toBe(20);
  expect(provider.stats.reuseDetections).toBe(0);
  expect((await redisKeys()).filter((key) => key.endsWith(':failure'))).toEqual([]);
});
