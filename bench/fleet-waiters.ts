/**
 * One refresh while P *separate processes* wait on it, for ioredis and node-redis: the commands all
 * of them send, each waiter's wake-up (the provider's answer reaching the holder → the waiter's
 * replay), and, from the same run, the limit the machine sets: P wake-ups each needing c ms of CPU,
 * on `cores` cores, cannot all be done at once — the median waiter waits at least for half of the
 * others' CPU, spread over the cores.
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import axios from 'axios';
import { Redis } from 'ioredis';
import { attachTokenRefresh, RedisTokenStore } from 'axios-token-flight';
import type { WorkerMessage, WorkerReport } from './fleet-waiter-worker';
import { forkScript, median, nextMessage } from './shared';

export type RedisClientName = 'ioredis' | 'node-redis';

export interface FleetWaiterRun {
  client: RedisClientName;
  processes: number;
  commandsPerRefresh: number;
  commandMix: string;
  wakeMedianMs: number;
  wakeP90Ms: number;
  /** Median CPU per wake-up (parked → replay: the notice read, decoded and acted on), in one waiter. */
  wakeCpuMs: number;
  /** Median CPU per resumption (parked → the replayed request's answer), in one waiter. */
  resumeCpuMs: number;
  /** The machine's floor for the median wake-up: the P = 1 wake-up plus half the other wake-ups' CPU (to replay) over the cores. */
  limitMs: number;
  /** The same with each earlier waiter's whole resumption (its replay sent and answered) in the way. */
  withReplaysMs: number;
  refreshes: number;
}

const isReport = (message: unknown): message is WorkerReport => typeof message === 'object' && message !== null && 'commands' in message;

export async function fleetWaiters(
  redisUrl: string,
  counts: number[],
  rounds: number,
  clients: RedisClientName[],
): Promise<FleetWaiterRun[]> {
  const server = forkScript('echo-server.ts', { REJECT: 'Bearer stale', REJECT_PATH: '/x' });
  const { port } = await nextMessage<{ port: number }>(server);
  const redis = new Redis(redisUrl);
  const seeder = attachTokenRefresh(axios.create(), {
    origins: 'any',
    store: new RedisTokenStore(redis, { prefix: 'fleet-waiters' }),
    refresh: async () => ({ accessToken: 'unused' }),
  });
  const runs: FleetWaiterRun[] = [];
  try {
    for (const client of clients) {
      let baseline: number | undefined;
      for (const p of counts) {
        // Exactly P + 1 processes per measurement: every subscribed process receives every notice,
        // so idle ones left over from a larger P would compete for the cores.
        const pool = Array.from({ length: p + 1 }, () =>
          forkScript('fleet-waiter-worker.ts', { REDIS_URL: redisUrl, API_URL: `http://127.0.0.1:${port}`, CLIENT: client }),
        );
        await Promise.all(pool.map((worker) => nextMessage(worker)));
        const run = await measure(pool, { client, rounds, seed: (key) => seeder.setToken(stale(key), key), baseline });
        baseline ??= run.wakeMedianMs;
        runs.push(run);
        await Promise.all(pool.map((worker) => stopped(worker)));
      }
    }
  } finally {
    seeder.detach();
    await redis.quit();
    server.disconnect();
  }
  return runs;
}

function stopped(worker: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.send({ kind: 'stop' } satisfies WorkerMessage);
  setTimeout(() => worker.kill(), 3_000).unref(); // one that does not exit on its own is not waited for
  return exited;
}

const stale = (key: string) => ({ accessToken: 'stale', refreshToken: `rt-${key}`, expiresIn: 3600 });

async function measure(
  [holder, ...waiters]: ChildProcess[],
  options: { client: RedisClientName; rounds: number; seed: (key: string) => Promise<unknown>; baseline: number | undefined },
): Promise<FleetWaiterRun> {
  const commands: number[] = [];
  const wake: number[] = [];
  const cpu: number[] = [];
  const resumeCpu: number[] = [];
  let refreshes = 0;
  let mix = '';
  for (let round = 0; round < options.rounds; round++) {
    const key = `p${waiters.length}-${options.client}-${round}-${Date.now()}`;
    await options.seed(key);
    const everyone = [holder as ChildProcess, ...waiters];
    const warmed = everyone.map((worker) => nextMessage(worker, isReport));
    for (const worker of everyone) worker.send({ kind: 'warm', key } satisfies WorkerMessage);
    await Promise.all(warmed);
    const holderLocked = nextMessage<{ locked?: true }>(
      holder as ChildProcess,
      (message) => (message as { locked?: true }).locked === true,
    );
    const held = nextMessage(holder as ChildProcess, isReport);
    holder?.send({ kind: 'hold', key } satisfies WorkerMessage);
    await holderLocked; // waiters are rejected while the holder refreshes
    const waited = waiters.map((worker) => nextMessage(worker, isReport));
    const parked = waiters.map((worker) =>
      nextMessage<{ parked?: true }>(worker, (message) => (message as { parked?: true }).parked === true),
    );
    for (const worker of waiters) worker.send({ kind: 'wait', key } satisfies WorkerMessage);
    await Promise.all(parked);
    holder?.send({ kind: 'release' } satisfies WorkerMessage);
    const [holderReport, ...waiterReports] = await Promise.all([held, ...waited]);
    const reports = [holderReport, ...waiterReports] as WorkerReport[];
    const failed = reports.find((report) => report.error !== undefined);
    if (failed !== undefined) throw new Error(`fleet-waiters round failed: ${failed.error}`);
    const sent = new Map<string, number>();
    for (const report of reports) for (const [name, n] of Object.entries(report.commands)) sent.set(name, (sent.get(name) ?? 0) + n);
    commands.push([...sent.values()].reduce((a, b) => a + b, 0));
    mix = [...sent].map(([name, n]) => `${name} ${n}`).join(', ');
    refreshes += reports.filter((report) => report.refreshed).length;
    // A waiter whose request left after the notice had already brought the new token was never
    // rejected: it has no wake-up to report.
    for (const report of (waiterReports as WorkerReport[]).filter((waiter) => waiter.at > 0)) {
      wake.push(report.at - (holderReport as WorkerReport).at);
      if (report.wakeCpuUs !== undefined) cpu.push(report.wakeCpuUs / 1000);
      if (report.resumeCpuUs !== undefined) resumeCpu.push(report.resumeCpuUs / 1000);
    }
  }
  const sorted = [...wake].sort((a, b) => a - b);
  const wakeMedianMs = median(wake);
  const wakeCpuMs = cpu.length === 0 ? 0 : median(cpu);
  const resumeCpuMs = resumeCpu.length === 0 ? 0 : median(resumeCpu);
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const p = waiters.length;
  return {
    client: options.client,
    processes: p,
    commandsPerRefresh: median(commands),
    commandMix: mix,
    wakeMedianMs,
    wakeP90Ms: sorted[Math.floor(sorted.length * 0.9)] as number,
    wakeCpuMs,
    resumeCpuMs,
    limitMs: (options.baseline ?? wakeMedianMs) + ((p - 1) / 2) * (wakeCpuMs / cores),
    // Early waiters' replays (sending, and handling the answer) compete with later waiters' wake-ups too.
    withReplaysMs: (options.baseline ?? wakeMedianMs) + ((p - 1) / 2) * (resumeCpuMs / cores),
    refreshes: refreshes / options.rounds,
  };
}
