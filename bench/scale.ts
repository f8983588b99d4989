/**
 * `npm run bench -- --scale`: what 100 000 credentials per process and 64 processes per Redis cost.
 * Each figure is measured next to its anchor in the same run.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import axios, { type AxiosAdapter } from 'axios';
import { type Cluster, Redis } from 'ioredis';
import { attachTokenRefresh, RedisTokenStore, type RedisClientLike, type TokenRefreshHandle } from 'axios-token-flight';
import { median } from './shared';

/** Rejects the token `stale` on `/x` only, so a process can cache it first (`/warm`). */
const answerWithToken: AxiosAdapter = async (config) => {
  const stale = config.url === '/x' && String(config.headers.get('Authorization')).endsWith(' stale');
  return { data: '', status: stale ? 401 : 200, statusText: stale ? 'Unauthorized' : 'OK', headers: {}, config, request: {} };
};
const api = () => axios.create({ baseURL: 'https://api.example.com', adapter: answerWithToken, validateStatus: (status) => status < 400 });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] as number;

// ——— heap ———

function heapWorker<T>(env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'scale-heap-worker.ts'), [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, ...env },
    });
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`heap worker exited with ${code}`))));
  });
}

export interface HeapPerCredential {
  credentials: number;
  pluginBytes: number;
  anchorBytes: number;
}

export async function heapPerCredential(sizes: number[]): Promise<HeapPerCredential[]> {
  const results: HeapPerCredential[] = [];
  for (const n of sizes) {
    const anchor = await heapWorker<{ bytesPerCredential: number }>({ MODE: 'anchor', N: String(n) });
    const plugin = await heapWorker<{ bytesPerCredential: number; held: number }>({ MODE: 'plugin', N: String(n) });
    results.push({ credentials: n, pluginBytes: plugin.bytesPerCredential, anchorBytes: anchor.bytesPerCredential });
  }
  return results;
}

export type HeapCurve = Array<{ touched: number; heapMiB: number; cached: number }>;

export async function heapWhileTouching(tenants: number): Promise<HeapCurve> {
  return (await heapWorker<{ samples: HeapCurve }>({ MODE: 'flat', N: String(tenants) })).samples;
}

// ——— Redis ———

/** Counts the commands a store sends, by name. */
function counting(client: Redis | Cluster): { client: RedisClientLike; counts: Map<string, number>; total(): number } {
  const counts = new Map<string, number>();
  const wrapped: RedisClientLike = {
    call: (command, ...args) => {
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return client.call(command, ...args);
    },
    duplicate: () => (client as RedisClientLike).duplicate(),
  };
  return { client: wrapped, counts, total: () => [...counts.values()].reduce((a, b) => a + b, 0) };
}

export interface RedisMemory {
  variant: string;
  bytesPerCredential: number;
  jsonBytes: number;
}

export async function redisMemory(redisUrl: string, credentials: number): Promise<RedisMemory[]> {
  const redis = new Redis(redisUrl);
  const results: RedisMemory[] = [];
  try {
    for (const [variant, encryptionKey] of [
      ['plain JSON', undefined],
      ['AES-256-GCM (encryptionKey)', 'a'.repeat(64)],
    ] as const) {
      const prefix = `mem-${variant.length}-${Date.now()}`;
      const handle = attachTokenRefresh(api(), {
        store: new RedisTokenStore(redis, { prefix, encryptionKey }),
        refresh: async () => ({ accessToken: 'never' }),
        maxCachedTokens: 10,
      });
      let jsonBytes = 0;
      let usage = 0;
      for (let i = 0; i < credentials; i++) {
        const token = await handle.setToken(
          { accessToken: `at_${String(i).padEnd(37, 'x')}`, refreshToken: `rt_${String(i).padEnd(37, 'y')}`, expiresIn: 3600 },
          `tenant-${i}`,
        );
        jsonBytes += JSON.stringify(token).length;
      }
      for (let i = 0; i < credentials; i++)
        usage += Number(await redis.call('MEMORY', 'USAGE', `${prefix}:{tenant-${i}}:token`, 'SAMPLES', '0'));
      handle.detach();
      results.push({ variant, bytesPerCredential: usage / credentials, jsonBytes: jsonBytes / credentials });
    }
  } finally {
    await redis.quit();
  }
  return results;
}

export interface RoundTrips {
  case: string;
  commands: number;
  detail: string;
}

/** Store commands for the first request of a tenant valid in Redis, and for one after LRU eviction. */
export async function roundTrips(makeClient: () => Redis | Cluster, label: string): Promise<RoundTrips[]> {
  const raw = makeClient();
  const { client, counts, total } = counting(raw);
  const seeder = attachTokenRefresh(api(), {
    store: new RedisTokenStore(raw, { prefix: `rt-${label}` }),
    refresh: async () => ({ accessToken: 'never' }),
  });
  for (let i = 0; i < 20; i++)
    await seeder.setToken({ accessToken: `valid-${i}`, refreshToken: `rt-${i}`, expiresIn: 3600 }, `tenant-${i}`);
  seeder.detach();
  const instance = api();
  const handle = attachTokenRefresh(instance, {
    store: new RedisTokenStore(client, { prefix: `rt-${label}` }),
    refresh: async () => ({ accessToken: 'never' }),
    key: (config) => String(config.headers.get('X-Tenant')),
    maxCachedTokens: 10,
  });
  const measure = async (tenant: string): Promise<{ commands: number; detail: string }> => {
    counts.clear();
    await instance.get('/x', { headers: { 'X-Tenant': tenant } });
    return { commands: total(), detail: [...counts].map(([name, n]) => `${name} × ${n}`).join(', ') || '—' };
  };
  // The server learns each script once in its life (EVALSHA answered NOSCRIPT, then EVAL): not per request.
  await instance.get('/x', { headers: { 'X-Tenant': 'tenant-19' } });
  const first = await measure('tenant-0');
  for (let i = 1; i < 12; i++) await instance.get('/x', { headers: { 'X-Tenant': `tenant-${i}` } }); // tenant-0 is evicted
  const evicted = await measure('tenant-0');
  const cached = await measure('tenant-0');
  handle.detach();
  await raw.quit();
  return [
    { case: `${label}: first request, tenant valid in Redis`, ...first },
    { case: `${label}: request after LRU eviction`, ...evicted },
    { case: `${label}: request with the token cached`, ...cached },
  ];
}

export interface WaiterRun {
  processes: number;
  commandsPerRefresh: number;
  commandMix: string;
  wakeMedianMs: number;
  wakeP99Ms: number;
  refreshes: number;
}

/**
 * One holder refreshes a rejected token (100 ms at the provider) while `waiters` other "processes"
 * (each its own plugin, store and Redis connections) are rejected too and wait for it. Commands are
 * counted on the clients; wake-up = the provider's answer reaching the holder → each waiter's
 * `replay` (so it includes the holder's write, the notice and the waiter's read).
 */
export async function waiters(connect: () => Redis | Cluster, counts: number[], rounds: number): Promise<WaiterRun[]> {
  const results: WaiterRun[] = [];
  for (const p of counts) {
    const clients = Array.from({ length: p + 1 }, connect);
    // Every command any of the P + 1 "processes" sends, counted on the client side (round trips).
    const sent = new Map<string, number>();
    const total = (): number => [...sent.values()].reduce((a, b) => a + b, 0);
    let refreshes = 0;
    /** When the provider's answer reached the holder: its write, the notice and the waiter's read all count as wake-up. */
    let answeredAt = 0;
    const attach = (raw: Redis | Cluster) => {
      const client: RedisClientLike = {
        call: (command, ...args) => {
          sent.set(command, (sent.get(command) ?? 0) + 1);
          return raw.call(command, ...args);
        },
        duplicate: () => (raw as RedisClientLike).duplicate(),
      };
      const instance = api();
      const handle = attachTokenRefresh(instance, {
        store: new RedisTokenStore(client, { prefix: `wait-${p}` }),
        refresh: async () => {
          refreshes += 1;
          await sleep(100);
          answeredAt = performance.now();
          return { accessToken: `fresh-${Date.now()}`, expiresIn: 3600 };
        },
      });
      return { instance, handle };
    };
    const [holder, ...rest] = clients.map(attach) as [
      { instance: ReturnType<typeof api>; handle: TokenRefreshHandle },
      ...Array<{ instance: ReturnType<typeof api>; handle: TokenRefreshHandle }>,
    ];
    await sleep(300); // subscribers connected
    const wake: number[] = [];
    const commands: number[] = [];
    let mix = '';
    for (let round = 0; round < rounds; round++) {
      await holder.handle.setToken({ accessToken: 'stale', refreshToken: `rt-${round}`, expiresIn: 3600 });
      await Promise.all(rest.map(({ instance }) => instance.get('/warm').catch(() => undefined))); // every waiter caches the stale token
      await sleep(50);
      sent.clear();
      const replayedAt: number[] = [];
      const listeners = rest.map(({ handle }) => {
        const listener = (): void => void replayedAt.push(performance.now());
        handle.events.once('replay', listener);
        return listener;
      });
      const holding = holder.instance.get('/x');
      await sleep(30); // the holder has the lock
      await Promise.all([holding, ...rest.map(({ instance }) => instance.get('/x'))]);
      commands.push(total());
      mix = [...sent].map(([name, n]) => `${name} ${n}`).join(', ');
      for (const at of replayedAt) wake.push(at - answeredAt);
      listeners.length = 0;
    }
    for (const { handle } of [holder, ...rest]) handle.detach();
    await Promise.all(clients.map((client) => client.quit()));
    results.push({
      processes: p,
      commandsPerRefresh: median(commands),
      commandMix: mix,
      wakeMedianMs: median(wake),
      wakeP99Ms: percentile(wake, 0.99),
      refreshes: refreshes / rounds,
    });
  }
  return results;
}

export interface WaveResult {
  credentials: number;
  lifetimeSeconds: number;
  intervalMs: number;
  maxConcurrentRefreshes: number;
  peakConcurrency: number;
  refreshed: number;
  expiredSends: number;
  requests: number;
  lastRefreshBeforeExpiryMs: number;
}

/**
 * `credentials` tokens issued together come due together; requests keep flowing for every one of
 * them. The token endpoint (5 ms) tracks its concurrency; the API counts tokens sent after expiry.
 */
export async function wave(credentials: number, lifetimeSeconds: number, intervalMs = 2_000): Promise<WaveResult> {
  const expiryOf = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  let refreshed = 0;
  let expiredSends = 0;
  let requests = 0;
  let minMargin = Number.POSITIVE_INFINITY;
  const adapter: AxiosAdapter = async (config) => {
    requests += 1;
    const token = String(config.headers.get('Authorization')).slice('Bearer '.length);
    const expiresAt = expiryOf.get(token);
    if (expiresAt === undefined || Date.now() >= expiresAt) expiredSends += 1;
    return { data: '', status: 200, statusText: 'OK', headers: {}, config, request: {} };
  };
  const instance = axios.create({ baseURL: 'https://api.example.com', adapter });
  const issue = (key: string, n: number): { accessToken: string; expiresIn: number } => {
    const accessToken = `${key}-v${n}`;
    expiryOf.set(accessToken, Date.now() + lifetimeSeconds * 1000);
    return { accessToken, expiresIn: lifetimeSeconds };
  };
  const handle = attachTokenRefresh(instance, {
    key: (config) => String(config.headers.get('X-Tenant')),
    maxCachedTokens: credentials + 10,
    refresh: async ({ key, current }) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await sleep(5);
      inFlight -= 1;
      refreshed += 1;
      minMargin = Math.min(minMargin, (current?.expiresAt ?? 0) - Date.now());
      return issue(key, (current?.version ?? 0) + 1);
    },
  });
  for (let i = 0; i < credentials; i++) await handle.setToken(issue(`tenant-${i}`, 1), `tenant-${i}`);
  const until = Date.now() + lifetimeSeconds * 1000 * 1.1;
  // Every tenant is used about every `intervalMs`, spread evenly (a worker's steady traffic).
  const lanes = 50;
  const perLane = Math.ceil(credentials / lanes);
  const gap = intervalMs / perLane;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = 0; Date.now() < until; i = (i + 1) % perLane) {
        const tenant = lane * perLane + i;
        if (tenant < credentials) await instance.get('/x', { headers: { 'X-Tenant': `tenant-${tenant}` } });
        await sleep(gap);
      }
    }),
  );
  handle.detach();
  return {
    credentials,
    lifetimeSeconds,
    intervalMs,
    maxConcurrentRefreshes: 8,
    peakConcurrency: peak,
    refreshed,
    expiredSends,
    requests,
    lastRefreshBeforeExpiryMs: minMargin,
  };
}
