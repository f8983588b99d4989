/**
 * A real Sentinel failover under load: 1 master, 1 replica, 3 sentinels; three worker processes
 * keep calling the API on one credential whose access tokens live 2 s and whose refresh tokens
 * rotate (so refreshes run all along, and a reused refresh token would revoke the family). Mid-run,
 * `SENTINEL FAILOVER`, then SIGKILL of the old master. For ioredis and node-redis, with the settings
 * docs/redis.md recommends for Sentinel. Each run writes its report to reports/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import { attachTokenRefresh, RedisTokenStore } from '../../lib';
import { startFakeProvider, type FakeProvider } from '../../lib/testing';
import { spawnWorker, type FleetWorker } from '../helpers/fleet';
import { createRedis } from '../helpers/redis-client';
import { SENTINEL_MASTER_NAME, startRedisSentinel, type RedisSentinelSetup } from '../helpers/redis-sentinel';
import { sleep } from '../helpers/setup';

jest.setTimeout(120_000);

let sentinel: RedisSentinelSetup;
let provider: FakeProvider;
let workers: FleetWorker[] = [];

beforeEach(async () => {
  sentinel = await startRedisSentinel();
  provider = await startFakeProvider({ accessTokenTtlSeconds: 2, tokenLatencyMs: 50 });
}, 60_000);
afterEach(async () => {
  for (const worker of workers) worker.process.kill('SIGKILL');
  workers = [];
  await provider.close();
  await sentinel.stop();
});

const RECOMMENDED = { ON_STORE_ERROR: 'fail', LOCK_TTL_MS: '5000', REFRESH_TIMEOUT_MS: '2000', COMMAND_TIMEOUT_MS: '500' };
const RATE = 40;
const SECONDS = 16;

/** The failures of every worker, by error class, counts added up. */
function sumFailures(perWorker: Array<Record<string, { count: number; retryable: boolean | 'untyped' }>>) {
  const total: Record<string, { count: number; retryable: boolean | 'untyped' }> = {};
  for (const failures of perWorker) {
    for (const [name, { count, retryable }] of Object.entries(failures)) {
      const entry = (total[name] ??= { count: 0, retryable });
      entry.count += count;
      if (retryable !== true) entry.retryable = retryable;
    }
  }
  return total;
}

async function seed(key: string): Promise<void> {
  const redis = createRedis(sentinel.master.port);
  const seeder = attachTokenRefresh(axios.create(), {
    origins: 'any',
    store: new RedisTokenStore(redis, { prefix: 'fleet' }),
    refresh: async () => ({ accessToken: 'unused' }),
  });
  await seeder.setToken(provider.authorize(), key);
  seeder.detach();
  await redis.quit();
}

describe.each([
  ['ioredis', { REDIS_CLIENT: 'ioredis', IOREDIS_MAJOR: '6' }],
  ['node-redis', { REDIS_CLIENT: 'node-redis', NODE_REDIS_MAJOR: '6' }],
])('a Sentinel failover under load (%s)', (client, clientEnv) => {
  it('SENTINEL FAILOVER, then SIGKILL of the old master: 0 reuse, no reauthorization, every failure retryable, traffic back within 10 s', async () => {
    const key = `sentinel-${client}`;
    await seed(key);
    workers = Array.from({ length: 3 }, (_, i) =>
      spawnWorker(`w${i}`, {
        ...clientEnv,
        REDIS_PROTOCOL: '',
        REDIS_PORTS: String(sentinel.master.port),
        SENTINEL_PORTS: sentinel.sentinelPorts.join(','),
        SENTINEL_NAME: SENTINEL_MASTER_NAME,
        PROVIDER_URL: provider.url,
        TOKEN_URL: provider.tokenUrl,
        CREDENTIAL: key,
        REQUESTS: String(RATE * SECONDS),
        RATE: String(RATE),
        CONCURRENCY: '8',
        TIMELINE: '1',
        ...RECOMMENDED,
      }),
    );
    await Promise.all(workers.map((w) => w.ready));
    const startedAt = Date.now();
    for (const worker of workers) worker.go();

    await sleep(4_000);
    const failoverAt = Date.now();
    await sentinel.failover();
    while ((await sentinel.currentMasterPort()) !== sentinel.replica.port) await sleep(50);
    const promotedAt = Date.now();
    await sentinel.master.kill();
    const killedAt = Date.now();
    const results = await Promise.all(workers.map((w) => w.result));

    const timeline = results.flatMap((result) => result?.timeline ?? []).sort(([a], [b]) => a - b);
    const failures = timeline.filter(([, outcome]) => outcome !== 'ok');
    const lastFailureAt = failures.at(-1)?.[0];
    const backBy = lastFailureAt === undefined ? failoverAt : lastFailureAt;
    const report = {
      client,
      settings: RECOMMENDED,
      timeline: {
        failoverAfterMs: failoverAt - startedAt,
        promotedAfterFailoverMs: promotedAt - failoverAt,
        oldMasterKilledAfterFailoverMs: killedAt - failoverAt,
        lastFailureAfterFailoverMs: lastFailureAt === undefined ? null : lastFailureAt - failoverAt,
      },
      requests: { sent: timeline.length, ok: timeline.length - failures.length, failed: failures.length },
      failures: sumFailures(results.map((result) => result?.failures ?? {})),
      failedAt: failures.map(([at, outcome]) => [at - failoverAt, outcome]),
      refreshes: provider.stats.refreshes,
      reuseDetections: provider.stats.reuseDetections,
    };
    mkdirSync(path.join(__dirname, '../../reports'), { recursive: true });
    writeFileSync(path.join(__dirname, `../../reports/sentinel-failover-${client}.json`), `${JSON.stringify(report, null, 1)}\n`);
    process.stdout.write(`\nSentinel failover (${client}): ${JSON.stringify({ ...report, failedAt: undefined })}\n`);

    expect(results.every((result) => result !== undefined)).toBe(true); // no worker crashed
    expect(provider.stats.reuseDetections).toBe(0);
    expect(Object.keys(report.failures)).not.toContain('ReauthorizationRequiredError');
    for (const failure of Object.values(report.failures)) expect(failure.retryable).toBe(true);
    expect(backBy - failoverAt).toBeLessThan(10_000);
    // Traffic kept flowing after the last failure, until the end of the run.
    expect(timeline.filter(([at, outcome]) => at > backBy && outcome === 'ok').length).toBeGreaterThan(RATE);
    expect(provider.stats.refreshes).toBeGreaterThan(SECONDS / 2); // refreshes ran all along, across the failover
  });
});
