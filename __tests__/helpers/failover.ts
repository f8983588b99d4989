/**
 * A fleet under steady load through a Redis failover (Sentinel, Cluster): three worker processes at
 * RATE requests/s each on one credential whose access tokens live 2 s and whose refresh tokens
 * rotate, with the settings docs/redis.md recommends; `fault` runs after 4 s. The report (timeline,
 * failures, refreshes) is written to reports/<name>.json and printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeProvider } from '../../lib/testing';
import { spawnWorker, type FleetWorker, type WorkerResult } from './fleet';
import { sleep } from './setup';

export const RECOMMENDED = { ON_STORE_ERROR: 'fail', LOCK_TTL_MS: '5000', REFRESH_TIMEOUT_MS: '2000', COMMAND_TIMEOUT_MS: '500' };
export const RATE = 40;
export const SECONDS = 16;

/** A client under test, as the worker's environment selects it. */
export interface ClientEnv {
  readonly REDIS_CLIENT: 'ioredis' | 'node-redis';
  readonly IOREDIS_MAJOR?: string;
  readonly NODE_REDIS_MAJOR?: string;
  readonly REDIS_PROTOCOL: string;
}

export const CLIENTS: ReadonlyArray<readonly [string, ClientEnv]> = [
  ['ioredis', { REDIS_CLIENT: 'ioredis', IOREDIS_MAJOR: '6', REDIS_PROTOCOL: '' }],
  ['node-redis', { REDIS_CLIENT: 'node-redis', NODE_REDIS_MAJOR: '6', REDIS_PROTOCOL: '' }],
];

type Failures = Record<string, { count: number; retryable: boolean | 'untyped' }>;

export interface FailoverOutcome {
  readonly report: { failures: Failures; [field: string]: unknown };
  readonly results: Array<WorkerResult | undefined>;
  readonly timeline: Array<[number, string]>;
  /** When the fault began, and when traffic was last seen failing (the fault's start if it never did). */
  readonly faultAt: number;
  readonly backBy: number;
}

let workers: FleetWorker[] = [];

/** Kills what a run left behind (afterEach). */
export function killFailoverWorkers(): void {
  for (const worker of workers) worker.process.kill('SIGKILL');
  workers = [];
}

export async function runFailoverFleet(run: {
  name: string;
  provider: FakeProvider;
  credential: string;
  env: Record<string, string>;
  /** The failover; returns named moments (epoch ms) for the report. */
  fault: () => Promise<Record<string, number>>;
}): Promise<FailoverOutcome> {
  const { provider } = run;
  workers = Array.from({ length: 3 }, (_, i) =>
    spawnWorker(`w${i}`, {
      ...run.env,
      PROVIDER_URL: provider.url,
      TOKEN_URL: provider.tokenUrl,
      CREDENTIAL: run.credential,
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
  const faultAt = Date.now();
  const moments = await run.fault();
  const results = await Promise.all(workers.map((w) => w.result));

  const timeline = results.flatMap((result) => result?.timeline ?? []).sort(([a], [b]) => a - b);
  const failures = timeline.filter(([, outcome]) => outcome !== 'ok');
  const lastFailureAt = failures.at(-1)?.[0];
  const report = {
    name: run.name,
    settings: RECOMMENDED,
    timeline: {
      faultAfterMs: faultAt - startedAt,
      ...Object.fromEntries(Object.entries(moments).map(([moment, at]) => [`${moment}AfterFaultMs`, at - faultAt])),
      lastFailureAfterFaultMs: lastFailureAt === undefined ? null : lastFailureAt - faultAt,
    },
    requests: { sent: timeline.length, ok: timeline.length - failures.length, failed: failures.length },
    failures: sumFailures(results.map((result) => result?.failures ?? {})),
    failedAt: failures.map(([at, outcome]) => [at - faultAt, outcome]),
    refreshes: provider.stats.refreshes,
    reuseDetections: provider.stats.reuseDetections,
  };
  const reports = path.join(__dirname, '..', '..', 'reports');
  mkdirSync(reports, { recursive: true });
  writeFileSync(path.join(reports, `${run.name}.json`), `${JSON.stringify(report, null, 1)}\n`);
  process.stdout.write(`\n${run.name}: ${JSON.stringify({ ...report, failedAt: undefined })}\n`);
  return { report, results, timeline, faultAt, backBy: lastFailureAt ?? faultAt };
}

/**
 * What a failover may cost: no worker crashed, 0 reuse, no re-authorisation, every failure retryable,
 * traffic back within `backWithinMs` (10 s unless a failover promises less).
 */
export function expectSurvived(
  { report, results, timeline, faultAt, backBy }: FailoverOutcome,
  provider: FakeProvider,
  { client, backWithinMs = 10_000 }: { client: ClientEnv; backWithinMs?: number },
): void {
  expect(results.every((result) => result !== undefined)).toBe(true);
  // Every worker ran the client under test (its report names client and major).
  const major = client.REDIS_CLIENT === 'ioredis' ? client.IOREDIS_MAJOR : client.NODE_REDIS_MAJOR;
  for (const result of results) expect(result?.client).toMatch(new RegExp(`^${client.REDIS_CLIENT} ${major},`));
  expect(provider.stats.reuseDetections).toBe(0);
  expect(Object.keys(report.failures)).not.toContain('ReauthorizationRequiredError');
  for (const failure of Object.values(report.failures)) expect(failure.retryable).toBe(true);
  expect(backBy - faultAt).toBeLessThan(backWithinMs);
  // Traffic kept flowing after the last failure, until the end of the run.
  expect(timeline.filter(([at, outcome]) => at > backBy && outcome === 'ok').length).toBeGreaterThan(RATE);
  expect(provider.stats.refreshes).toBeGreaterThan(SECONDS / 2); // refreshes ran all along, across the failover
}

/** The failures of every worker, by error class, counts added up. */
function sumFailures(perWorker: Failures[]): Failures {
  const total: Failures = {};
  for (const failures of perWorker) {
    for (const [name, { count, retryable }] of Object.entries(failures)) {
      const entry = (total[name] ??= { count: 0, retryable });
      entry.count += count;
      if (retryable !== true) entry.retryable = retryable;
    }
  }
  return total;
}
