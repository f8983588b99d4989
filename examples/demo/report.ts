import type { FakeProviderStats } from 'axios-token-flight/testing';
import type { WorkerCounts, WorkerMessage } from './worker';

export interface ScenarioResult {
  name: string;
  sent: number;
  succeeded: number;
  failed: number;
  errors: Record<string, number>;
  refreshes: number;
  tokenEndpointCalls: number;
  tokenLifetimes: number;
  reuseDetections: number;
  propagationWaits: number;
  p50: number;
  p99: number;
  seconds: number;
}

/** One updating line on a terminal; a line every 2 s otherwise (CI logs). */
export class ProgressLine {
  readonly #counts: WorkerCounts[];
  readonly #tty = process.stdout.isTTY === true;
  #lastPrinted = 0;

  constructor(
    private readonly name: string,
    workers: number,
  ) {
    this.#counts = Array.from({ length: workers }, () => ({ sent: 0, ok: 0, failed: 0, refreshes: 0, replays: 0, waits: 0 }));
  }

  update(worker: number, counts: WorkerCounts): void {
    this.#counts[worker] = counts;
    const now = Date.now();
    if (!this.#tty && now - this.#lastPrinted < 2_000) return;
    this.#lastPrinted = now;
    const line = this.#line();
    process.stdout.write(this.#tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }

  finish(): void {
    process.stdout.write(this.#tty ? `\r\x1b[2K${this.#line()}\n` : `${this.#line()}\n`);
  }

  #line(): string {
    const total = (field: keyof WorkerCounts) => this.#counts.reduce((sum, c) => sum + c[field], 0);
    return `${this.name.padEnd(20)} requests ${total('sent')}  ok ${total('ok')}  failed ${total('failed')}  refreshes ${total('refreshes')}  replays ${total('replays')}  propagation waits ${total('waits')}`;
  }
}

export function summarise(
  name: string,
  outcomes: Array<Extract<WorkerMessage, { type: 'done' }>>,
  provider: FakeProviderStats,
  seconds: number,
  ttlSeconds: number,
): ScenarioResult {
  const latencies = outcomes.flatMap((o) => o.latencies).sort((a, b) => a - b);
  const errors: Record<string, number> = {};
  for (const outcome of outcomes) for (const [label, n] of Object.entries(outcome.errors)) errors[label] = (errors[label] ?? 0) + n;
  const sum = (field: keyof WorkerCounts) => outcomes.reduce((total, o) => total + o[field], 0);
  return {
    name,
    sent: sum('sent'),
    succeeded: sum('ok'),
    failed: sum('failed'),
    errors,
    refreshes: provider.refreshes,
    tokenEndpointCalls: provider.tokenRequests.length,
    tokenLifetimes: Math.ceil(seconds / ttlSeconds),
    reuseDetections: provider.reuseDetections,
    propagationWaits: sum('waits'),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    seconds,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export function printTable(results: ScenarioResult[]): void {
  const rows: Array<[string, (r: ScenarioResult) => string]> = [
    ['requests sent', (r) => String(r.sent)],
    ['succeeded', (r) => String(r.succeeded)],
    ['failed (lost)', (r) => String(r.failed)],
    ['successful refreshes', (r) => String(r.refreshes)],
    ['token endpoint calls', (r) => String(r.tokenEndpointCalls)],
    ['token lifetimes in the run', (r) => String(r.tokenLifetimes)],
    ['refresh-token reuse detected', (r) => String(r.reuseDetections)],
    ['propagation waits', (r) => String(r.propagationWaits)],
    ['p50 latency', (r) => `${r.p50.toFixed(1)} ms`],
    ['p99 latency', (r) => `${r.p99.toFixed(1)} ms`],
  ];
  const width = 34;
  const column = 22;
  console.log(`\n${''.padEnd(width)}${results.map((r) => r.name.padStart(column)).join('')}`);
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}${results.map((r) => value(r).padStart(column)).join('')}`);
  for (const result of results) {
    const errors = Object.entries(result.errors);
    if (errors.length > 0) console.log(`\n${result.name} failures: ${errors.map(([label, n]) => `${label} × ${n}`).join(', ')}`);
  }
}
