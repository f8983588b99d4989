/**
 * One refresh while P *separate processes* wait on it, for ioredis and node-redis: the commands all
 * of them send, each waiter's wake-up (the provider's answer reaching the holder → the waiter's
 * replay reaching the API), and, from the same run, the limit the machine sets: the CPU the fan-out
 * took — every participating process, all threads and the kernel work done for them, counted from
 * outside between the release and the last replay's arrival — cannot be done faster than the cores
 * allow, so the median waiter waits at least for half of the others' share of it.
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import axios from 'axios';
import { Redis } from 'ioredis';
import { attachTokenRefresh, RedisTokenStore } from 'axios-token-flight';
import { processIdsMatching, totalCpuNs } from './cpu-time';
import type { EchoArrived, EchoMessage } from './echo-server';
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
  /** The plugin's own part of a wake-up: CPU in the waiter process (as it sees it) from parked to its replay; median. */
  pluginCpuMs: number;
  /**
   * CPU the fan-out took per waiter, counted from outside: the waiter processes (every thread, the
   * kernel's work for them: woken, notice read, replay built and sent), redis-server (the notices)
   * and the softirq threads, from the provider's answer to the last replay's arrival; median of the rounds.
   */
  wakeCpuMs: number;
  /** The median wake-up if the cores served the wake-ups one after another: P = 1 median + half the other waiters' wake-up CPU over the cores. */
  limitMs: number;
  /** The same with only the plugin's part of each wake-up: what the median could be if the rest cost nothing. */
  pluginLimitMs: number;
  refreshes: number;
}

const isReport = (message: unknown): message is WorkerReport => typeof message === 'object' && message !== null && 'commands' in message;
const isArrived = (message: unknown): message is EchoArrived => typeof message === 'object' && message !== null && 'arrived' in message;

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
  const others = [...processIdsMatching('redis-server', `:${new URL(redisUrl).port}`), ...processIdsMatching('ksoftirqd')];
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
        const run = await measure(pool as [ChildProcess, ...ChildProcess[]], {
          client,
          rounds,
          seed: (key) => seeder.setToken(stale(key), key),
          baseline,
          api: server,
          others,
        });
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

interface Fixture {
  client: RedisClientName;
  rounds: number;
  seed: (key: string) => Promise<unknown>;
  baseline: number | undefined;
  /** The API server: it holds its answers to the round's replays until all have arrived (see EchoMessage). */
  api: ChildProcess;
  /**
   * Besides the waiters, the processes whose CPU a wake-up needs: redis-server (it sends the notices)
   * and the kernel's softirq threads. Not the API server: receiving a replay is the API's work.
   */
  others: number[];
}

async function measure([holder, ...waiters]: [ChildProcess, ...ChildProcess[]], fixture: Fixture): Promise<FleetWaiterRun> {
  const commands: number[] = [];
  const wake: number[] = [];
  const pluginCpu: number[] = [];
  const wakeCpu: number[] = [];
  let refreshes = 0;
  let mix = '';
  const everyone = [holder, ...waiters];
  const waiterIds = waiters.map((worker) => worker.pid as number);
  for (let round = 0; round < fixture.rounds; round++) {
    const key = `p${waiters.length}-${fixture.client}-${round}-${Date.now()}`;
    await fixture.seed(key);
    const warmed = everyone.map((worker) => nextMessage(worker, isReport));
    for (const worker of everyone) worker.send({ kind: 'warm', key } satisfies WorkerMessage);
    await Promise.all(warmed);
    const holderLocked = nextMessage<{ locked?: true }>(holder, (message) => (message as { locked?: true }).locked === true);
    const held = nextMessage(holder, isReport);
    holder.send({ kind: 'hold', key } satisfies WorkerMessage);
    await holderLocked; // waiters are rejected while the holder refreshes
    const atProvider = new Promise((resolve) => setTimeout(resolve, 100));
    const waited = waiters.map((worker) => nextMessage(worker, isReport));
    const parked = waiters.map((worker) =>
      nextMessage<{ parked?: true }>(worker, (message) => (message as { parked?: true }).parked === true),
    );
    for (const worker of waiters) worker.send({ kind: 'wait', key } satisfies WorkerMessage);
    await Promise.all([...parked, atProvider]);
    // Every process ends the round with one accepted request to the API (the holder's and waiters'
    // replays; a waiter never rejected sends its first). The API answers none until all are in, so
    // the window measured holds each wake-up whole (woken, replay built and sent) and none of the
    // answers' handling — as with a remote API, whose answers come tens of milliseconds later.
    const arrived = nextMessage(fixture.api, isArrived);
    fixture.api.send({ kind: 'hold', count: everyone.length } satisfies EchoMessage);
    const waitersCpuBefore = totalCpuNs(waiterIds);
    const othersCpuBefore = totalCpuNs(fixture.others);
    holder.send({ kind: 'release' } satisfies WorkerMessage);
    await arrived;
    const othersCpu = totalCpuNs(fixture.others) - othersCpuBefore;
    const waitersCpu = totalCpuNs(waiterIds) - waitersCpuBefore;
    fixture.api.send({ kind: 'answer' } satisfies EchoMessage);
    const reports = (await Promise.all([held, ...waited])) as [WorkerReport, ...WorkerReport[]];
    const [holderReport, ...waiterReports] = reports;
    const failed = reports.find((report) => report.error !== undefined);
    if (failed !== undefined) throw new Error(`fleet-waiters round failed: ${failed.error}`);
    const sent = new Map<string, number>();
    for (const report of reports) for (const [name, n] of Object.entries(report.commands)) sent.set(name, (sent.get(name) ?? 0) + n);
    commands.push([...sent.values()].reduce((a, b) => a + b, 0));
    mix = [...sent].map(([name, n]) => `${name} ${n}`).join(', ');
    refreshes += reports.filter((report) => report.refreshed).length;
    // A waiter whose request left after the notice had already brought the new token was never
    // rejected: it has no wake-up to report.
    for (const report of waiterReports) {
      if (report.at === 0) continue;
      wake.push(report.at - holderReport.at);
      if (report.wakeCpuUs !== undefined) pluginCpu.push(report.wakeCpuUs / 1000);
    }
    // What the holder does after its provider answered (write, notice, its own replay) is in the
    // P = 1 baseline: per waiter, the fan-out's CPU is the rest.
    wakeCpu.push((waitersCpu + othersCpu) / 1e6 / waiters.length);
  }
  const sorted = [...wake].sort((a, b) => a - b);
  const wakeMedianMs = median(wake);
  const baseline = fixture.baseline ?? wakeMedianMs;
  const wakeCpuMs = median(wakeCpu);
  const pluginCpuMs = pluginCpu.length === 0 ? 0 : median(pluginCpu);
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  // In order, the median waiter waits for half of the P − 1 others' wake-ups, spread over the cores.
  const others = (waiters.length - 1) / 2 / cores;
  return {
    client: fixture.client,
    processes: waiters.length,
    commandsPerRefresh: median(commands),
    commandMix: mix,
    wakeMedianMs,
    wakeP90Ms: sorted[Math.floor(sorted.length * 0.9)] as number,
    pluginCpuMs,
    wakeCpuMs,
    limitMs: baseline + others * wakeCpuMs,
    pluginLimitMs: baseline + others * pluginCpuMs,
    refreshes: refreshes / fixture.rounds,
  };
}
