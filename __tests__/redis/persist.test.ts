/**
 * `persist`: a durable copy of every credential behind the store (the user's database), so Redis
 * can be a cache and coordinator rather than a vault. `save` is awaited after every refresh and
 * `setToken`, under the lock; `load` fills a store that has nothing for a key. Real redis-server,
 * a provider that rotates refresh tokens and revokes the family on reuse, and a "database" table
 * with latency and failures of its own.
 */
import axios, { type AxiosInstance } from 'axios';
import {
  attachTokenRefresh,
  oauth2,
  RedisTokenStore,
  StoreUnavailableError,
  type TokenPersistence,
  type TokenRefreshHandle,
  type TokenSet,
} from '../../lib';
import { useRedisAndProvider } from '../helpers/redis-and-provider';
import { createRedis } from '../helpers/redis-client';

jest.setTimeout(30_000);

const servers = useRedisAndProvider();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );

/** A credentials table: one row per key, as `save` wrote it (JSON), with latency and scripted failures. */
class CredentialsTable implements TokenPersistence {
  readonly rows = new Map<string, string>();
  readonly saves: Array<{ key: string; version: number; at: number }> = [];
  loads = 0;
  /** Saves begun, landed or not. */
  savesStarted = 0;
  latencyMs = 0;
  failNextSaves = 0;
  failLoads = false;

  async load(key: string) {
    this.loads += 1;
    await sleep(this.latencyMs);
    if (this.failLoads) throw new Error('connection to the database lost');
    const row = this.rows.get(key);
    return row === undefined ? null : (JSON.parse(row) as TokenSet);
  }

  async save(key: string, token: TokenSet) {
    this.savesStarted += 1;
    await sleep(this.latencyMs);
    if (this.failNextSaves > 0) {
      this.failNextSaves -= 1;
      throw new Error(`deadlock detected while writing ${JSON.stringify(token)}`);
    }
    this.rows.set(key, JSON.stringify(token));
    this.saves.push({ key, version: token.version, at: Date.now() });
  }

  version(key = 'default'): number | undefined {
    const row = this.rows.get(key);
    return row === undefined ? undefined : (JSON.parse(row) as TokenSet).version;
  }
}

function worker(table: CredentialsTable): { api: AxiosInstance; handle: TokenRefreshHandle; store: RedisTokenStore } {
  const client = createRedis(servers.redis.port);
  client.on?.('error', () => undefined);
  const store = new RedisTokenStore(client, { prefix: 'persist', commandTimeoutMs: 300 });
  const api = axios.create({ baseURL: servers.provider.url });
  const handle = attachTokenRefresh(api, {
    store,
    persist: table,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: servers.provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    lockTtlMs: 3_000,
    refreshTimeoutMs: 1_500,
  });
  servers.onCleanup(
    () => client.disconnect(),
    () => handle.detach(),
  );
  return { api, handle, store };
}

it('saves every setToken and refresh — the rotated refresh token included — before the waiting request gets the token', async () => {
  const table = new CredentialsTable();
  const { api, handle } = worker(table);
  const seed = servers.provider.authorize();
  await handle.setToken(seed);
  expect(table.version()).toBe(1);
  table.latencyMs = 300;
  servers.provider.revokeAccessTokens();

  const response = await api.get('/api/x');
  const answered = Date.now();

  expect(response.status).toBe(200);
  expect(table.saves.map((s) => s.version)).toEqual([1, 2]);
  expect(table.saves[1]?.at).toBeLessThanOrEqual(answered);
  const saved = JSON.parse(table.rows.get('default') as string) as TokenSet;
  expect(saved.refreshToken).toBe((await handle.getToken()).refreshToken);
  expect(saved.refreshToken).not.toBe(seed.refreshToken); // the rotated, live one: the seed's was spent
});

it('a failing save does not fail the refresh: the token is used, persist-failed is announced (no token in it), and the save is retried until it lands', async () => {
  const table = new CredentialsTable();
  const { api, handle } = worker(table);
  const events: string[] = [];
  handle.events.on('persist-failed', (event) => events.push(JSON.stringify(event)));
  await handle.setToken(servers.provider.authorize());
  table.failNextSaves = 2;
  servers.provider.revokeAccessTokens();

  const response = await api.get('/api/x');

  expect(response.status).toBe(200);
  expect(events).toHaveLength(1);
  expect(JSON.parse(events[0] as string)).toMatchObject({ key: 'default', version: 2, attempt: 1, errorName: 'Error' });
  const token = await handle.getToken();
  for (const line of events) {
    expect(line).not.toContain(token.accessToken);
    expect(line).not.toContain(token.refreshToken);
  }
  const deadline = Date.now() + 6_000; // retries after ~1 s, then ~2 s
  while (table.version() !== 2 && Date.now() < deadline) await sleep(50);
  expect(table.version()).toBe(2);
  expect(events).toHaveLength(2);
});

it('a newer version supersedes a save still being retried', async () => {
  const table = new CredentialsTable();
  const { handle } = worker(table);
  table.failNextSaves = 1;
  await handle.setToken(servers.provider.authorize()); // version 1: save fails, retry scheduled in ~1 s
  await handle.setToken(servers.provider.authorize()); // version 2: saved at once

  await sleep(1_500);

  expect(table.saves.map((s) => s.version)).toEqual([2]);
  expect(table.version()).toBe(2);
});

it('a tenant the store does not have is loaded from the table, written to the store, and used without a refresh', async () => {
  const table = new CredentialsTable();
  const seed = servers.provider.authorize();
  table.rows.set('tenant-9', JSON.stringify({ ...seed, version: 7, issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }));
  const { api, store } = worker(table);

  const response = await api.get('/api/x', { tokenFlight: { key: 'tenant-9' } });

  expect(response.status).toBe(200);
  expect(servers.provider.stats.tokenRequests).toHaveLength(0);
  expect(table.loads).toBe(1);
  expect(await store.get('tenant-9')).toMatchObject({ version: 7, accessToken: seed.accessToken });
});

it('a plain TokenInput from load becomes version 1; a failing load is a retryable StoreUnavailableError', async () => {
  const table = new CredentialsTable();
  table.rows.set('plain', JSON.stringify(servers.provider.authorize()));
  const { api, handle } = worker(table);

  expect((await api.get('/api/x', { tokenFlight: { key: 'plain' } })).status).toBe(200);
  expect((await handle.getToken('plain')).version).toBe(1);

  table.failLoads = true;
  const error = await settle(api.get('/api/y', { tokenFlight: { key: 'other' } }));
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect((error as StoreUnavailableError).retryable).toBe(true);
});

it('Redis restarted empty, then every token rejected: the fleet reloads from the table, refreshes once, revokes nothing', async () => {
  const table = new CredentialsTable();
  const a = worker(table);
  const b = worker(table);
  await a.handle.setToken(servers.provider.authorize());
  await b.api.get('/api/warm');
  await servers.redis.kill();
  await servers.redis.start(); // empty
  servers.provider.revokeAccessTokens();
  const fresh = worker(table); // a process that starts after the restart: no copy of its own

  const results = await Promise.all([a, b, fresh].flatMap(({ api }) => [1, 2, 3].map((i) => settle(api.get(`/api/${i}`)))));

  expect(results.map((r) => (r as { status?: number }).status)).toEqual(Array(9).fill(200));
  expect(servers.provider.stats.reuseDetections).toBe(0);
  expect(servers.provider.stats.refreshes).toBe(1);
  expect(table.version()).toBe(2);
});

it('a process that reloads a lost token it can use still holds the fleet back while a refresh from before the restart may write back', async () => {
  servers.provider.setBehaviour({ tokenLatencyMs: 800 });
  const table = new CredentialsTable();
  const refresher = worker(table);
  const other = worker(table);
  await refresher.handle.setToken(servers.provider.authorize());
  await other.api.get('/api/warm');
  servers.provider.revokeAccessTokens();
  const inFlight = settle(refresher.api.get('/api/a')); // refresh on the wire: answered 800 ms after it arrives
  while (servers.provider.stats.tokenRequests.length === 0) await sleep(10);
  await servers.redis.kill();
  await servers.redis.start(); // empty: token and lock gone
  const fresh = worker(table);
  await fresh.handle.getToken(); // loads version 1 from the table: valid by its expiry, so fresh is served at once

  const fromOther = await settle(other.api.get('/api/b')); // its version-1 token is rejected: it must not refresh from RT1 now

  expect([(await inFlight) as { status?: number }, fromOther as { status?: number }].map((r) => r.status)).toEqual([200, 200]);
  expect(servers.provider.stats.reuseDetections).toBe(0);
  expect(servers.provider.stats.refreshes).toBe(1);
  expect(table.version()).toBe(2);
});

describe('a persist that is not promise-shaped', () => {
  /** A synchronous table: `save` throws at once while `failing`, and returns nothing otherwise. */
  class SyncTable {
    readonly saved: number[] = [];
    attempts = 0;
    failing = 0;
    load(): null {
      return null;
    }
    save(_key: string, token: TokenSet): void {
      this.attempts += 1;
      if (this.failing > 0) {
        this.failing -= 1;
        throw new Error('disk full');
      }
      this.saved.push(token.version);
    }
  }

  function syncWorker(table: SyncTable): { api: AxiosInstance; handle: TokenRefreshHandle } {
    const api = axios.create({ baseURL: servers.provider.url });
    const handle = attachTokenRefresh(api, {
      persist: table,
      refresh: oauth2.refreshTokenGrant({ tokenUrl: servers.provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    });
    servers.onCleanup(() => handle.detach());
    return { api, handle };
  }

  it('save throwing synchronously: setToken resolves, the refreshing request succeeds, persist-failed names the key, and the save is retried', async () => {
    const table = new SyncTable();
    const { api, handle } = syncWorker(table);
    const failed: Array<{ key: string; version: number }> = [];
    handle.events.on('persist-failed', (event) => failed.push(event));
    table.failing = 2;

    const seeded = await handle.setToken(servers.provider.authorize());
    servers.provider.revokeAccessTokens();
    const response = await api.get('/api/x');
    const deadline = Date.now() + 4_000; // the retry follows after about a second
    while (!table.saved.includes(2) && Date.now() < deadline) await sleep(50);

    expect(seeded.version).toBe(1);
    expect(response.status).toBe(200);
    expect(failed.map(({ key, version }) => [key, version])).toEqual([
      ['default', 1],
      ['default', 2],
    ]);
    expect(table.saved).toContain(2);
  });

  it('save returning nothing (not a promise): nothing throws, every version is saved', async () => {
    const table = new SyncTable();
    const { api, handle } = syncWorker(table);

    await handle.setToken(servers.provider.authorize());
    servers.provider.revokeAccessTokens();
    const response = await api.get('/api/x');

    expect(response.status).toBe(200);
    expect(table.saved).toEqual([1, 2]);
  });
});

describe('close() and pending saves', () => {
  /** A seeded worker whose next refresh's save fails `failures` times; the refresh has happened. */
  async function refreshedWithFailingSave(failures: number, onFailure?: (attempt: number) => void) {
    const table = new CredentialsTable();
    const { api, handle } = worker(table);
    if (onFailure !== undefined) handle.events.on('persist-failed', (event) => onFailure(event.attempt));
    await handle.setToken(servers.provider.authorize());
    table.failNextSaves = failures;
    servers.provider.revokeAccessTokens();
    await api.get('/api/x');
    return { table, handle };
  }

  it('makes one last attempt at a save waiting to be retried, and close() resolves after it landed', async () => {
    const { table, handle } = await refreshedWithFailingSave(1); // its retry would come ~1 s later
    expect(table.version()).toBe(1);

    const started = Date.now();
    await handle.close();

    expect(table.version()).toBe(2);
    expect(Date.now() - started).toBeLessThan(700); // the last attempt ran at once, not at the retry time
  });

  it('waits for its last attempt, and retries nothing after close()', async () => {
    const failures: number[] = [];
    const { table, handle } = await refreshedWithFailingSave(100, (attempt) => failures.push(attempt));
    expect(failures).toEqual([1]);

    table.latencyMs = 200; // the last attempt takes a while: close() must wait for it
    const started = Date.now();
    await handle.close();
    const closedAfter = Date.now() - started;
    await sleep(2_500); // past the first two retry times

    expect(closedAfter).toBeGreaterThanOrEqual(190);
    expect(failures).toEqual([1, 2]); // the last attempt, then nothing
  });

  it('joins a retry already running instead of saving the same version twice', async () => {
    const { table, handle } = await refreshedWithFailingSave(1); // saves started: the seed's, the refresh's (failed)
    table.latencyMs = 400;
    while (table.savesStarted < 3) await sleep(10); // the retry is on its way to the table

    await handle.close();

    expect(table.saves.map((s) => s.version)).toEqual([1, 2]);
    expect(table.savesStarted).toBe(3);
  });

  it('a newer version supersedes a save still being retried: only the newer one lands', async () => {
    const { table, handle } = await refreshedWithFailingSave(1); // version 2: its save failed, retry pending
    await handle.setToken(servers.provider.authorize()); // version 3 saved at once
    await sleep(1_600); // past the retry time of version 2

    expect(table.version()).toBe(3);
    expect(table.saves.map((s) => s.version)).toEqual([1, 3]);
  });
});
