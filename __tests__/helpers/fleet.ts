import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

import axios from 'axios';
import { attachTokenRefresh, RedisTokenStore, type RedisTokenStoreClient, type TokenInput } from '../../lib';
import type { FleetWorkerReport } from '../fixtures/fleet-worker';

export type WorkerResult = FleetWorkerReport;

export interface FleetWorker {
  readonly id: string;
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  readonly result: Promise<WorkerResult | undefined>;
  go(): void;
  /** Tells the worker to shut its plugin down (`close()` or `detach()`) and stop sending. */
  command(line: 'close' | 'detach'): void;
}

/**
 * The environment of fleet workers calling `provider`'s LinkedIn-style API on one credential, with
 * the token store in Redis on `redisPort`; `overrides` adds or replaces variables (see fleet-worker.ts).
 */
export function fleetEnv(
  redisPort: number,
  provider: { url: string; tokenUrl: string },
  credential: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_PORTS: String(redisPort),
    PROVIDER_URL: `${provider.url}/linkedin`,
    TOKEN_URL: provider.tokenUrl,
    CREDENTIAL: credential,
    API_PATH: '/rest/item',
    CONCURRENCY: '4',
    ...overrides,
  };
}

/** Spawns one fleet-worker process (see fixtures/fleet-worker.ts). */
export function spawnWorker(id: string, env: Record<string, string>): FleetWorker {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, '..', 'fixtures', 'fleet-worker.ts')], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, ...env, WORKER: id },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const result = new Promise<WorkerResult | undefined>((resolve) => {
    lines.on('line', (line) => {
      if (line === 'ready') markReady();
      else if (line.startsWith('{')) resolve(JSON.parse(line) as WorkerResult);
    });
    child.once('exit', () => resolve(undefined));
  });
  return { id, process: child, ready, result, go: () => child.stdin?.write('go\n'), command: (line) => child.stdin?.write(`${line}\n`) };
}

export interface ScenarioReport {
  scenario: string;
  sent: number;
  succeeded: number;
  /** Requests a worker's own close()/detach() ended (not failures: a queue requeues them). */
  cancelled: number;
  failed: number;
  failures: Record<string, { count: number; retryable: boolean | 'untyped' }>;
  refreshes: number;
  reuseDetections: number;
  workersCrashed: number;
  heap: Array<{ afterWarmUp: number; afterRun: number }>;
  durationMs: number;
}

export interface ScenarioPlan {
  scenario: string;
  workers: number;
  requestsPerWorker: number;
  env: Record<string, string>;
  /** Provider stats after the run. */
  providerStats: () => { refreshes: number; reuseDetections: number };
  /** Faults to inject while the workers run; awaited before collecting results. */
  during?: (workers: FleetWorker[]) => Promise<void>;
}

/** Spawns the fleet, releases it at once, runs the fault script, and sums up what every worker saw. */
export async function runScenario(plan: ScenarioPlan): Promise<ScenarioReport> {
  const workers = Array.from({ length: plan.workers }, (_, i) =>
    spawnWorker(`w${i}`, { ...plan.env, REQUESTS: String(plan.requestsPerWorker) }),
  );
  await Promise.all(workers.map((w) => w.ready));
  const started = Date.now();
  for (const worker of workers) worker.go();
  await plan.during?.(workers);
  const results = await Promise.all(workers.map((w) => w.result));
  const report: ScenarioReport = {
    scenario: plan.scenario,
    sent: 0,
    succeeded: 0,
    cancelled: 0,
    failed: 0,
    failures: {},
    refreshes: plan.providerStats().refreshes,
    reuseDetections: plan.providerStats().reuseDetections,
    workersCrashed: 0,
    heap: [],
    durationMs: Date.now() - started,
  };
  for (const result of results) {
    if (result === undefined) {
      report.workersCrashed += 1;
      continue;
    }
    report.sent += result.attempted;
    report.succeeded += result.succeeded;
    report.cancelled += result.cancelled;
    for (const [name, { count, retryable }] of Object.entries(result.failures)) {
      report.failed += count;
      const entry = (report.failures[name] ??= { count: 0, retryable });
      entry.count += count;
    }
    if (result.heap !== undefined) report.heap.push(result.heap);
  }
  return report;
}

/** A one-line, human-readable summary of a scenario report. */
export function formatReport(r: ScenarioReport): string {
  const failures = Object.entries(r.failures).map(
    ([name, f]) => `${name}×${f.count}${f.retryable === true ? ' (retryable)' : f.retryable === false ? ' (not retryable)' : ' (UNTYPED)'}`,
  );
  return `${r.scenario.padEnd(58)} sent ${String(r.sent).padStart(5)}  ok ${String(r.succeeded).padStart(5)}  failed ${String(r.failed).padStart(4)}${r.cancelled > 0 ? `  cancelled ${r.cancelled}` : ''}  refreshes ${String(r.refreshes).padStart(3)}  reuse ${r.reuseDetections}${failures.length > 0 ? `  [${failures.join(', ')}]` : ''}`;
}

/**
 * Seeds `credential` in the fleet's store (prefix `fleet`, as fleet-worker.ts reads it), as the
 * authorization-code exchange would have, then closes `redis`.
 */
export async function seedFleetCredential(
  redis: RedisTokenStoreClient & { quit(): Promise<unknown> },
  token: TokenInput,
  credential: string,
): Promise<void> {
  const seeder = attachTokenRefresh(axios.create(), {
    origins: 'any',
    store: new RedisTokenStore(redis, { prefix: 'fleet' }),
    refresh: async () => ({ accessToken: 'unused' }),
  });
  await seeder.setToken(token, credential);
  seeder.detach();
  await redis.quit();
}
