import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0 ? ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2 : (sorted[middle] as number);
}

/** How a report states a goal. */
export function verdict(met: boolean): string {
  return met ? '✅ met' : '❌ missed';
}

/** High-resolution wall-clock time in ms, comparable between processes on one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Forks a bench script (TypeScript, via tsx) with an IPC channel. */
export function forkScript(script: string, env: Record<string, string> = {}): ChildProcess {
  return fork(path.join(__dirname, script), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env } });
}

export function nextMessage<T>(child: ChildProcess, predicate: (message: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (!predicate(message)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void => reject(new Error(`bench child exited (code ${code}) before answering`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Runs `total` calls of `request` with `concurrency` in flight; returns requests per second. */
export async function throughput(total: number, concurrency: number, request: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const begin = performance.now();
  const lane = async (): Promise<void> => {
    while (started < total) {
      started += 1;
      await request();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return total / ((performance.now() - begin) / 1000);
}
