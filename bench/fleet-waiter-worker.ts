// One process of the P-waiters bench: its own plugin, store and Redis connections (ioredis or
// node-redis, by CLIENT). Told per round: warm (cache the stale token), then as holder refresh a
// rejected token (100 ms at the provider) or as waiter be rejected while the holder refreshes.
// Reports the commands it sent and when its provider answered (holder) or its replay started (waiter).
import axios from 'axios';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { attachTokenRefresh, RedisTokenStore, type RedisTokenStoreClient } from 'axios-token-flight';
import { wallClockMs } from './shared';

export type WorkerMessage = { kind: 'warm' | 'hold' | 'wait'; key: string } | { kind: 'release' } | { kind: 'stop' };
export interface WorkerReport {
  commands: Record<string, number>;
  /** Holder: when the provider answered. Waiter: when its replay started (wall clock); 0 if it was never rejected. */
  at: number;
  /** Waiter: CPU microseconds of this process from parked (idle until the notice) to its replay. */
  wakeCpuUs?: number;
  refreshed: boolean;
  error?: string;
}

const sent = new Map<string, number>();
/** Set for a waiter's round: called once the answer to its first command (its one lock attempt) is in. */
let onFirstAnswer: (() => void) | undefined;
function counted<T>(command: string, reply: Promise<T>): Promise<T> {
  sent.set(command, (sent.get(command) ?? 0) + 1);
  const first = onFirstAnswer;
  onFirstAnswer = undefined;
  // A moment after the answer, the plugin has parked the waiter: it idles until the notice.
  if (first !== undefined) void reply.finally(() => setTimeout(first, 5));
  return reply;
}

async function connect(): Promise<{ client: RedisTokenStoreClient; close(): Promise<unknown> }> {
  const url = process.env['REDIS_URL'] as string;
  if (process.env['CLIENT'] === 'node-redis') {
    const raw = createClient({ url });
    raw.on('error', () => undefined);
    await raw.connect();
    return {
      client: { sendCommand: (args: string[]) => counted(args[0] as string, raw.sendCommand(args)), duplicate: () => raw.duplicate() },
      close: () => raw.quit(),
    };
  }
  const raw = new Redis(url);
  return {
    client: { call: (command, ...args) => counted(command, raw.call(command, ...args)), duplicate: () => raw.duplicate() },
    close: () => raw.quit(),
  };
}

async function main(): Promise<void> {
  const { client, close } = await connect();
  const store = new RedisTokenStore(client, { prefix: 'fleet-waiters' });
  const api = axios.create({ baseURL: process.env['API_URL'] as string });
  let refreshed = false;
  let release: ((value: unknown) => void) | undefined;
  let at = 0;
  /** CPU used so far, taken once the waiter is parked: the wake-up's own cost is what follows. */
  let parkedCpu: NodeJS.CpuUsage | undefined;
  let wakeCpuUs: number | undefined;
  const handle = attachTokenRefresh(api, {
    store,
    key: (config) => String(config.headers.get('x-credential')),
    refresh: async () => {
      refreshed = true;
      process.send?.({ locked: true }); // the lock is held while refresh runs
      // The bench releases it once 100 ms have passed (at the provider) and every waiter is parked:
      // the wake-up measured is the fan-out alone, not waiters still handling their own rejection.
      await new Promise((resolve) => (release = resolve));
      at = wallClockMs();
      return { accessToken: `fresh-${Math.random()}`, expiresIn: 3600 };
    },
  });
  handle.events.on('replay', () => {
    if (refreshed) return; // the holder's own replay: its time is when the provider answered
    at = wallClockMs();
    const used = parkedCpu === undefined ? undefined : process.cpuUsage(parkedCpu);
    wakeCpuUs = used === undefined ? undefined : used.user + used.system;
  });
  process.on('message', (message: WorkerMessage) => {
    if (message.kind === 'release') {
      release?.(undefined);
      return;
    }
    if (message.kind === 'stop') {
      handle.detach();
      void close().then(() => process.disconnect());
      return;
    }
    const path = message.kind === 'warm' ? '/warm' : '/x';
    if (message.kind !== 'warm') {
      sent.clear();
      [refreshed, at, parkedCpu, wakeCpuUs] = [false, 0, undefined, undefined];
    }
    if (message.kind === 'wait')
      onFirstAnswer = () => {
        parkedCpu = process.cpuUsage();
        process.send?.({ parked: true });
      };
    api
      .get(path, { headers: { 'x-credential': message.key } })
      .then(() =>
        process.send?.({
          commands: Object.fromEntries(sent),
          at,
          refreshed,
          ...(wakeCpuUs === undefined ? {} : { wakeCpuUs }),
        } satisfies WorkerReport),
      )
      .catch((error: unknown) => process.send?.({ commands: {}, at: 0, refreshed, error: String(error) } satisfies WorkerReport));
  });
  process.send?.({ ready: true });
}

void main();
