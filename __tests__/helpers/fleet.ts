import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface WorkerResult {
  succeeded: number;
  errors: string[];
  stats: { refreshes: number; replays: number; failures: number };
}

export interface FleetWorker {
  readonly id: string;
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  readonly result: Promise<WorkerResult | undefined>;
  go(): void;
}

/** Spawns one fleet-worker process (see fixtures/fleet-worker.ts). */
export function spawnWorker(id: string, env: Record<string, string>): FleetWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'fixtures', 'fleet-worker.ts')], {
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
  return { id, process: child, ready, result, go: () => child.stdin?.write('go\n') };
}
