import { startFakeProvider, startRedisServer, type FakeProvider, type FakeProviderBehaviour, type RedisServer } from '../../lib/testing';
import { fleetEnv, formatReport, runScenario, seedFleetCredential, type ScenarioReport } from '../helpers/fleet';
import { createRedis } from '../helpers/redis-client';

jest.setTimeout(90_000);

let redis: RedisServer;
let provider: FakeProvider;
const reports: ScenarioReport[] = [];
let credential = 0;

beforeEach(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await provider.close();
  await redis.stop();
});
afterAll(() => {
  process.stdout.write(`\nChaos report\n${reports.map(formatReport).join('\n')}\n`);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 0.8 s into the run, SIGKILL redis-server; bring it back (empty) a second later. */
async function killRedisForOneSecond(): Promise<void> {
  await sleep(800);
  await redis.kill();
  await sleep(1_000);
  await redis.start();
}

async function setup(behaviour: Partial<FakeProviderBehaviour>, env: Record<string, string> = {}) {
  provider = await startFakeProvider(behaviour);
  const key = `chaos-${(credential += 1)}`;
  await seedFleetCredential(createRedis(redis.port), provider.authorize(), key);
  return fleetEnv(redis.port, provider, key, { RATE: '100', LOCK_TTL_MS: '2000', REFRESH_TIMEOUT_MS: '1500', ...env });
}

/** 4 workers against the current provider; `plan` overrides the defaults (300 requests each). */
function runFleet(
  scenario: string,
  env: Record<string, string>,
  plan: Partial<Parameters<typeof runScenario>[0]> = {},
): Promise<ScenarioReport> {
  return runScenario({ scenario, workers: 4, requestsPerWorker: 300, env, providerStats: () => provider.stats, ...plan });
}

/** The invariant of every scenario: nothing silently lost, nothing untyped, no worker crashed. */
function expectNothingLost(report: ScenarioReport): void {
  reports.push(report);
  expect(report.workersCrashed).toBe(0);
  expect(report.succeeded + report.failed + report.cancelled).toBe(report.sent);
  for (const [name, failure] of Object.entries(report.failures)) expect([name, failure.retryable]).not.toEqual([name, 'untyped']);
}

describe('chaos', () => {
  it("Redis SIGKILLed and restarted while 4 workers run, onStoreError 'local', non-rotating provider: no request fails", async () => {
    const env = await setup({ accessTokenTtlSeconds: 1.5, propagationMs: 150, rotateRefreshTokens: false }, { ON_STORE_ERROR: 'local' });
    const report = await runFleet("Redis killed + restarted ('local', no rotation)", env, { during: killRedisForOneSecond });
    expectNothingLost(report);
    expect(report.failed).toBe(0);
  });

  it("Redis SIGKILLed and restarted empty, onStoreError 'fail', rotating provider: every failure typed and retryable, no reuse", async () => {
    const env = await setup({ accessTokenTtlSeconds: 1.5, propagationMs: 150 }, { ON_STORE_ERROR: 'fail' });
    const report = await runFleet("Redis killed + restarted ('fail', rotation)", env, { during: killRedisForOneSecond });
    expectNothingLost(report);
    // Retryable store errors during the outage; after it, the lost token is put back (and a
    // refresh that was on the wire writes back) before anyone refreshes from it.
    for (const failure of Object.values(report.failures)) expect(failure.retryable).toBe(true);
    expect(report.reuseDetections).toBe(0);
  });

  it('network to Redis paused (SIGSTOP / SIGCONT): no request fails', async () => {
    const env = await setup(
      { accessTokenTtlSeconds: 1.5, propagationMs: 150, rotateRefreshTokens: false },
      { ON_STORE_ERROR: 'local', COMMAND_TIMEOUT_MS: '300' },
    );
    const report = await runFleet("Redis paused with SIGSTOP for 1 s ('local', no rotation)", env, {
      during: async () => {
        await sleep(800);
        redis.pause();
        await sleep(1_000);
        redis.resume();
      },
    });
    expectNothingLost(report);
    expect(report.failed).toBe(0);
  });

  it('the lock holder SIGKILLed mid-refresh: the others take over, nothing lost in the survivors, no reuse', async () => {
    const env = await setup({ tokenLatencyMs: 50 });
    provider.revokeAccessTokens();
    provider.setBehaviour({ tokenFault: 'timeout', tokenFaultCount: 1 });
    let killed = 0;
    const report = await runFleet('lock holder SIGKILLed mid-refresh', env, {
      requestsPerWorker: 100,
      during: async (workers) => {
        while (provider.stats.tokenRequests.length === 0) await sleep(10);
        const holder = workers.find((w) => w.id === provider.stats.tokenRequests[0]?.['worker']);
        holder?.process.kill('SIGKILL');
        killed = holder === undefined ? 0 : 1;
      },
    });
    reports.push(report);
    expect(killed).toBe(1);
    expect(report.workersCrashed).toBe(1);
    expect(report.failed).toBe(0);
    expect(report.succeeded).toBe(300);
    expect(report.reuseDetections).toBe(0);
    expect(report.refreshes).toBe(1);
  });

  it('token endpoint stalling longer than the lock TTL: every failure is typed and retryable, one refresh attempt at a time fleet-wide', async () => {
    // The provider still processes a request the client gave up on; with rotation, the late
    // processing spends the refresh token, and the next attempt is seen as reuse. docs/reliability.md.
    const env = await setup({ tokenLatencyMs: 2_500 });
    provider.revokeAccessTokens();
    const report = await runFleet(
      'token endpoint stalls 2.5 s > lockTtl 2 s (rotation)',
      { ...env, RATE: '20' },
      { requestsPerWorker: 12 },
    );
    expectNothingLost(report);
    expect(report.failures['RefreshFailedError']?.retryable).toBe(true);
    expect(Object.keys(report.failures).every((name) => ['RefreshFailedError', 'ReauthorizationRequiredError'].includes(name))).toBe(true);
    // The lock serialises attempts fleet-wide: at most one per refreshTimeoutMs (plus the first).
    expect(provider.stats.tokenRequests.length).toBeLessThanOrEqual(Math.ceil(report.durationMs / 1_500) + 1);
  });
});
