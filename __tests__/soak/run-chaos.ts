/**
 * `npm run test:soak` (after the soak) or `tsx __tests__/soak/run-chaos.ts [--runs 30] [--storm-seconds 60]`
 *
 * Consecutive chaos runs against real processes: 4 workers on one credential of a provider that
 * rotates refresh tokens and revokes the whole family on reuse, while Redis is SIGKILLed and
 * restarted empty, paused with SIGSTOP, rolled back to a snapshot, flushed, the credential is
 * re-connected (old grant revoked at the provider, new one seeded) or deleted and re-connected,
 * workers `close()` or `detach()` mid-refresh, and the token endpoint answers 503 for a while — one
 * fault per run, round-robin, at a random moment, with and without a durable copy (`persist`).
 * Then one long 503 storm.
 *
 * Passes when, over every run: 0 family revocations (reuse), 0 ReauthorizationRequiredError (but
 * while a credential is deleted), every
 * failure a TokenFlightError with retryable: true, no worker crashed; and the storm's token-endpoint
 * calls stay within what the backoff allows. Prints one line per run and the totals.
 */
import axios from 'axios';
import { attachTokenRefresh, RedisTokenStore, type TokenRefreshHandle } from '../../lib';
import { startFakeProvider, startRedisServer, type FakeProvider, type RedisServer } from '../../lib/testing';
import { fleetEnv, formatReport, runScenario, type FleetWorker, type ScenarioReport } from '../helpers/fleet';
import { createRedis } from '../helpers/redis-client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

interface FaultContext {
  readonly redis: RedisServer;
  readonly provider: FakeProvider;
  readonly workers: FleetWorker[];
  readonly key: string;
  /** The refresh token the credential was seeded with (its grant). */
  readonly seededRefreshToken: string;
}

interface Fault {
  readonly name: string;
  readonly persist?: boolean;
  readonly onStoreError?: 'local' | 'fail';
  /** The fault deletes the credential for a while: ReauthorizationRequiredError is expected then. */
  readonly deletes?: boolean;
  run(context: FaultContext): Promise<void>;
}

/** Waits until a refresh is on the wire and returns the worker that sent it. */
async function refresher(provider: FakeProvider, workers: FleetWorker[]): Promise<FleetWorker | undefined> {
  const before = provider.stats.tokenRequests.length;
  const deadline = Date.now() + 4_000;
  while (provider.stats.tokenRequests.length === before && Date.now() < deadline) await sleep(5);
  const id = provider.stats.tokenRequests[provider.stats.tokenRequests.length - 1]?.['worker'];
  return workers.find((w) => w.id === id);
}

const killRestart = async ({ redis }: { redis: RedisServer }): Promise<void> => {
  await sleep(300 + Math.random() * 1_200);
  await redis.kill();
  await sleep(200 + Math.random() * 600);
  await redis.start(); // empty
};

async function flushAll(redis: RedisServer): Promise<void> {
  const admin = createRedis(redis.port);
  await admin.call('FLUSHALL');
  admin.disconnect();
}

/** Runs `action` with a handle of this process on the fleet's store (an admin path of the application). */
async function withHandle(redis: RedisServer, action: (handle: TokenRefreshHandle) => Promise<unknown>): Promise<void> {
  const client = createRedis(redis.port);
  const handle = attachTokenRefresh(axios.create(), {
    origins: 'any',
    store: new RedisTokenStore(client, { prefix: 'fleet' }),
    refresh: async () => ({ accessToken: 'unused' }),
  });
  try {
    await action(handle);
  } finally {
    handle.detach();
    await client.quit();
  }
}

/**
 * The customer re-connects: the application seeds the new grant, and the provider revokes the old
 * one. (Revoked first, the credential would have no grant for a moment: failures then are right.)
 */
const reconnect = async ({ redis, provider, key, seededRefreshToken }: FaultContext): Promise<void> => {
  await withHandle(redis, (handle) => handle.setToken(provider.authorize(), key));
  provider.revokeGrant(seededRefreshToken);
};

const FAULTS: Fault[] = [
  { name: 'Redis SIGKILL, restarted empty', run: killRestart },
  { name: "Redis SIGKILL, restarted empty ('fail')", onStoreError: 'fail', run: killRestart },
  { name: 'Redis SIGKILL, restarted empty (persist)', persist: true, run: killRestart },
  {
    name: 'Redis SIGSTOP 1 s',
    run: async ({ redis }) => {
      await sleep(300 + Math.random() * 1_200);
      redis.pause();
      await sleep(1_000);
      redis.resume();
    },
  },
  {
    name: 'Redis rolled back to an older snapshot',
    run: async ({ provider, key, redis }) => {
      const admin = createRedis(redis.port);
      const snapshot = (await admin.call('HGETALL', `fleet:{${key}}:token`)) as unknown;
      const fields = Array.isArray(snapshot) ? snapshot.map(String) : Object.entries(snapshot as Record<string, string>).flat();
      const rotations = provider.stats.refreshes;
      const deadline = Date.now() + 4_000;
      while (provider.stats.refreshes < rotations + 1 && Date.now() < deadline) await sleep(20);
      await sleep(Math.random() * 300);
      await admin.call('HSET', `fleet:{${key}}:token`, ...fields); // a replica that missed the writes
      admin.disconnect();
    },
  },
  {
    name: 'worker close() mid-refresh',
    run: async ({ provider, workers }) => {
      (await refresher(provider, workers))?.command('close');
    },
  },
  {
    name: 'worker detach() mid-refresh',
    run: async ({ provider, workers }) => {
      (await refresher(provider, workers))?.command('detach');
    },
  },
  {
    name: 'Redis FLUSHALL',
    run: async ({ redis }) => {
      await sleep(300 + Math.random() * 1_200);
      await flushAll(redis);
    },
  },
  {
    name: 're-connected (new grant seeded, old one revoked)',
    run: async (context) => {
      await sleep(300 + Math.random() * 1_200);
      await reconnect(context);
    },
  },
  {
    name: 'Redis FLUSHALL, then re-connected',
    run: async (context) => {
      await sleep(300 + Math.random() * 1_000);
      await flushAll(context.redis);
      await sleep(Math.random() * 300);
      await reconnect(context);
    },
  },
  {
    name: 'deleted, re-connected 300 ms later',
    deletes: true,
    run: async (context) => {
      await sleep(300 + Math.random() * 1_000);
      await withHandle(context.redis, (handle) => handle.deleteToken(context.key));
      await sleep(300);
      await reconnect(context);
    },
  },
  {
    name: 'token endpoint 503 for 1.5 s',
    run: async ({ provider }) => {
      await sleep(300 + Math.random() * 800);
      provider.setBehaviour({ tokenFault: 'server-error' });
      await sleep(1_500);
      provider.setBehaviour({ tokenFault: 'none' });
    },
  },
];

async function seed(redis: RedisServer, provider: FakeProvider, key: string, durable: RedisServer | undefined): Promise<string> {
  const client = createRedis(redis.port);
  const seeder = attachTokenRefresh(axios.create(), {
    origins: 'any',
    store: new RedisTokenStore(client, { prefix: 'fleet' }),
    refresh: async () => ({ accessToken: 'unused' }),
  });
  const token = await seeder.setToken(provider.authorize(), key);
  seeder.detach();
  await client.quit();
  if (durable !== undefined) {
    const db = createRedis(durable.port);
    await db.call('SET', `durable:${key}`, JSON.stringify(token));
    await db.quit();
  }
  return token.refreshToken as string;
}

function violations(report: ScenarioReport, fault?: Fault): string[] {
  const found: string[] = [];
  if (report.reuseDetections > 0) found.push(`${report.reuseDetections} reuse`);
  if (report.workersCrashed > 0) found.push(`${report.workersCrashed} worker(s) crashed`);
  if (report.succeeded + report.failed + report.cancelled !== report.sent) found.push('requests unaccounted for');
  for (const [name, failure] of Object.entries(report.failures)) {
    if (name === 'ReauthorizationRequiredError') {
      if (fault?.deletes !== true) found.push(`${failure.count} ReauthorizationRequiredError`);
    } else if (failure.retryable !== true) found.push(`${failure.count} ${name} not retryable`);
  }
  return found;
}

async function chaosRun(index: number, fault: Fault): Promise<{ report: ScenarioReport; problems: string[] }> {
  const redis = await startRedisServer();
  const durable = fault.persist === true ? await startRedisServer() : undefined;
  const provider = await startFakeProvider({
    accessTokenTtlSeconds: 1.5,
    propagationMs: 150,
    tokenLatencyMs: 50 + Math.floor(Math.random() * 300),
  });
  const key = `chaos-run-${index}`;
  try {
    const seededRefreshToken = await seed(redis, provider, key, durable);
    const report = await runScenario({
      scenario: `#${String(index).padStart(2)} ${fault.name}`,
      workers: 4,
      requestsPerWorker: 250,
      env: fleetEnv(redis.port, provider, key, {
        RATE: '100',
        LOCK_TTL_MS: '2000',
        REFRESH_TIMEOUT_MS: '1500',
        COMMAND_TIMEOUT_MS: '300',
        ON_STORE_ERROR: fault.onStoreError ?? 'local',
        REFRESH_BACKOFF_INITIAL_MS: '200',
        REFRESH_BACKOFF_MAX_MS: '2000',
        ...(durable === undefined ? {} : { PERSIST_REDIS_PORT: String(durable.port) }),
      }),
      providerStats: () => provider.stats,
      during: (workers) => fault.run({ redis, provider, workers, key, seededRefreshToken }),
    });
    return { report, problems: violations(report, fault) };
  } finally {
    await provider.close();
    await redis.stop();
    await durable?.stop();
  }
}

/** The whole fleet against a token endpoint that answers 503 for `seconds`: how many calls reach it. */
async function storm(seconds: number): Promise<{ line: string; calls: number; allowed: number; problems: string[] }> {
  const redis = await startRedisServer();
  const provider = await startFakeProvider({ accessTokenTtlSeconds: 3600, tokenFault: 'server-error' });
  try {
    await seed(redis, provider, 'storm', undefined);
    provider.revokeAccessTokens(); // every request needs a refresh, for the whole storm
    const report = await runScenario({
      scenario: `token endpoint 503 for ${seconds} s, 4 processes × 4 request loops`,
      workers: 4,
      requestsPerWorker: seconds * 20,
      env: fleetEnv(redis.port, provider, 'storm', { RATE: '20' }),
      providerStats: () => provider.stats,
    });
    const calls = provider.stats.tokenRequests.length;
    // Default backoff 1 s doubling to 60 s (+20 % jitter): attempts at ~0, 1, 3, 7, 15, 31, 63 s…
    let allowed = 1;
    for (let at = 0, wait = 800; at + wait <= seconds * 1000; at += wait, wait = Math.min(wait * 2, 48_000)) allowed += 1;
    const problems = violations(report);
    if (calls > allowed) problems.push(`${calls} token calls > ${allowed} allowed by the backoff`);
    return { line: formatReport(report), calls, allowed, problems };
  } finally {
    await provider.close();
    await redis.stop();
  }
}

async function main(): Promise<void> {
  const runs = option('runs', 30);
  const stormSeconds = option('storm-seconds', 60);
  const lines: string[] = [];
  let failedRuns = 0;
  for (let index = 1; index <= runs; index++) {
    const { report, problems } = await chaosRun(index, FAULTS[(index - 1) % FAULTS.length] as Fault);
    const line = `${problems.length === 0 ? 'PASS' : 'FAIL'}  ${formatReport(report)}${problems.length === 0 ? '' : `  !! ${problems.join('; ')}`}`;
    lines.push(line);
    console.log(line);
    if (problems.length > 0) failedRuns += 1;
  }
  const stormResult = await storm(stormSeconds);
  console.log(
    `${stormResult.problems.length === 0 ? 'PASS' : 'FAIL'}  ${stormResult.line}  token calls ${stormResult.calls} (backoff allows ${stormResult.allowed})${stormResult.problems.length === 0 ? '' : `  !! ${stormResult.problems.join('; ')}`}`,
  );
  const failed = failedRuns + (stormResult.problems.length === 0 ? 0 : 1);
  console.log(`chaos: ${runs + 1 - failed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
}

void main();
