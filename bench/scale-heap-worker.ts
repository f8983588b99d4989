/**
 * Heap measurements, in a process of their own started with --expose-gc (one per measurement, so
 * nothing left from another one counts). MODE:
 * - `anchor`: N decoded token sets kept in a bare Map — the least any cache of them costs;
 * - `plugin`: N tenants each sent one request through the plugin (maxCachedTokens above N);
 * - `flat`: TOUCH tenants, one request each, with the default maxCachedTokens, heap sampled along the way.
 * The store synthesises each tenant's token set on read (as a Redis store decodes a fresh object
 * per read) and keeps nothing, so the heap measured is the plugin's.
 */
import axios, { type AxiosAdapter } from 'axios';
import { attachTokenRefresh, type TokenSet, type TokenStore } from 'axios-token-flight';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * A realistic token set, decoded from JSON as a Redis store does (flat strings, a fresh object):
 * 40-byte opaque access and refresh tokens, an hour to live, no extras.
 */
function tokenFor(key: string): TokenSet {
  const now = Date.now();
  const json = `{"accessToken":"at_${key.padEnd(37, 'x')}","refreshToken":"rt_${key.padEnd(37, 'y')}","expiresAt":${now + 3_600_000},"tokenType":"Bearer","version":1,"issuedAt":${now}}`;
  return { ...(JSON.parse(json) as Omit<TokenSet, 'extra'>), extra: NO_EXTRA };
}

const NO_EXTRA = Object.freeze({});

const synthesising: TokenStore = {
  get: async (key) => tokenFor(key),
  compareAndSet: async () => false,
  acquireLock: async () => false,
  releaseLock: async () => false,
};

const answerAtOnce: AxiosAdapter = async (config) => ({ data: '', status: 200, statusText: 'OK', headers: {}, config, request: {} });

async function main(): Promise<void> {
  const mode = process.env['MODE'];
  const n = Number(process.env['N']);
  if (mode === 'anchor') {
    const before = heapAfterGc();
    const map = new Map<string, TokenSet>();
    for (let i = 0; i < n; i++) map.set(`tenant-${i}`, tokenFor(`tenant-${i}`));
    const after = heapAfterGc();
    process.send?.({ bytesPerCredential: (after - before) / n, held: map.size });
    return;
  }
  // Above everything this process touches (the warm-up included): nothing is evicted while measuring.
  const cap = mode === 'plugin' ? n + 10_000 : undefined;
  const api = axios.create({ baseURL: 'https://api.example.com', adapter: answerAtOnce });
  const handle = attachTokenRefresh(api, {
    store: synthesising,
    refresh: async () => ({ accessToken: 'never' }),
    key: (config) => String(config.headers.get('X-Tenant')),
    ...(cap === undefined ? {} : { maxCachedTokens: cap }),
  });
  for (let i = 0; i < 2_000; i++) await api.get('/warm', { headers: { 'X-Tenant': `warm-${i}` } });
  const before = heapAfterGc();
  if (mode === 'plugin') {
    for (let i = 0; i < n; i++) await api.get('/x', { headers: { 'X-Tenant': `tenant-${i}` } });
    const after = heapAfterGc();
    process.send?.({ bytesPerCredential: (after - before) / n, held: handle.stats().cachedTokens });
    return;
  }
  const samples: Array<{ touched: number; heapMiB: number; cached: number }> = [];
  const every = Math.max(1, Math.floor(n / 20));
  for (let i = 1; i <= n; i++) {
    await api.get('/x', { headers: { 'X-Tenant': `tenant-${i}` } });
    if (i % every === 0) samples.push({ touched: i, heapMiB: (heapAfterGc() - before) / 2 ** 20, cached: handle.stats().cachedTokens });
  }
  process.send?.({ samples });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
