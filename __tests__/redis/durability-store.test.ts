/**
 * A credential is never burned or reported dead because of what happened to the store: an outage,
 * one undecodable value, a rollback to older data, a tampered version field, or a restart that
 * emptied it while a refresh was in flight. Real redis-server, a provider that rotates refresh
 * tokens and revokes the family on reuse (as Auth0 / Okta do).
 */
import { randomBytes } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import {
  attachTokenRefresh,
  oauth2,
  RedisTokenStore,
  StoreUnavailableError,
  type TokenFlightError,
  type TokenRefreshHandle,
  type TokenRefreshOptions,
} from '../../lib';
import { useRedisAndProvider } from '../helpers/redis-and-provider';
import { createRedis } from '../helpers/redis-client';

jest.setTimeout(30_000);

const servers = useRedisAndProvider();

interface Process {
  readonly api: AxiosInstance;
  readonly handle: TokenRefreshHandle;
  readonly redis: ReturnType<typeof createRedis>;
}

/** One process of the fleet: its own Redis connection, store and plugin, on the shared Redis. */
function process_(options: Partial<TokenRefreshOptions> & { encryptionKey?: Buffer; notices?: boolean } = {}): Process {
  const { encryptionKey, notices = true, ...plugin } = options;
  const client = createRedis(servers.redis.port);
  client.on?.('error', () => undefined);
  const api = axios.create({ baseURL: servers.provider.url });
  const store = new RedisTokenStore(client, {
    prefix: 'd',
    commandTimeoutMs: 300,
    ...(encryptionKey === undefined ? {} : { encryptionKey }),
  });
  // Without notices: as a process whose pub/sub connection has not come back yet.
  if (!notices) Object.defineProperty(store, 'subscribe', { value: undefined });
  const handle = attachTokenRefresh(api, {
    store,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: servers.provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    lockTtlMs: 3_000,
    refreshTimeoutMs: 1_500,
    ...plugin,
  });
  servers.onCleanup(
    () => client.disconnect(),
    () => handle.detach(),
  );
  return { api, handle, redis: client };
}

const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('store outages are retryable, per key', () => {
  it('a credential this process never cached, while the store does not answer: StoreUnavailableError (retryable), not "re-authorise"; fine once it answers', async () => {
    const seeder = process_();
    await seeder.handle.setToken(servers.provider.authorize(), 'tenant-7');
    const worker = process_();
    await worker.api.get('/api/warm', { tokenFlight: { key: 'tenant-1' } }).catch(() => undefined); // the store is known to work

    servers.redis.pause();
    const during = await settle(worker.api.get('/api/x', { tokenFlight: { key: 'tenant-7' } }));
    servers.redis.resume();

    expect(during).toBeInstanceOf(StoreUnavailableError);
    expect((during as TokenFlightError).retryable).toBe(true);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    // Not remembered as a dead grant: once the store answers, the stored token is used.
    await sleep(1_200); // the recovery probe runs every second
    const after = await worker.api.get('/api/x', { tokenFlight: { key: 'tenant-7' } });
    expect(after.status).toBe(200);
    expect(servers.provider.stats.refreshes).toBe(0);
  });

  it('one value that cannot be decoded fails only its own key: other keys keep working, no store-degraded', async () => {
    const ours = randomBytes(32);
    await process_({ encryptionKey: randomBytes(32) }).handle.setToken(servers.provider.authorize(), 'written-with-another-key');
    await process_({ encryptionKey: ours }).handle.setToken(servers.provider.authorize(), 'healthy');
    const reader = process_({ encryptionKey: ours }); // caches nothing yet: every key is read from Redis
    const degraded: unknown[] = [];
    reader.handle.events.on('store-degraded', (event) => degraded.push(event));

    const foreign = await settle(reader.api.get('/api/x', { tokenFlight: { key: 'written-with-another-key' } }));
    const healthy = await reader.api.get('/api/x', { tokenFlight: { key: 'healthy' } });

    expect(foreign).toBeInstanceOf(StoreUnavailableError);
    expect((foreign as Error).message).toMatch(/the stored token for "written-with-another-key" cannot be read: .*wrong encryptionKey/);
    expect(healthy.status).toBe(200);
    expect(degraded).toEqual([]);
    expect(servers.provider.stats.tokenRequests).toHaveLength(0);
  });
});

describe('a process never presents a refresh token older than the newest it has seen', () => {
  it('Redis rolled back to a snapshot taken before a rotation: the newer copy is written back and refreshed from, no reuse', async () => {
    const worker = process_();
    await worker.handle.setToken(servers.provider.authorize());
    const snapshot = (await worker.redis.call('HGETALL', 'd:{default}:token')) as unknown;
    const fields = Array.isArray(snapshot) ? snapshot.map(String) : Object.entries(snapshot as Record<string, string>).flat();
    servers.provider.revokeAccessTokens();
    await worker.api.get('/api/first'); // 401 → refresh RT1 → RT2 (version 2)

    await worker.redis.call('HSET', 'd:{default}:token', ...fields); // failover to a replica that missed the write
    servers.provider.revokeAccessTokens();
    const response = await worker.api.get('/api/second'); // 401 again: refresh from RT2, not the spent RT1

    expect(response.status).toBe(200);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    expect(servers.provider.stats.refreshes).toBe(2);
    expect((await worker.handle.getToken()).version).toBe(3);
  });

  it('a raised version field in Redis (encrypted store) is detected: nothing is refreshed, nothing spent, the error is retryable', async () => {
    const worker = process_({ encryptionKey: randomBytes(32) });
    await worker.handle.setToken(servers.provider.authorize());
    await worker.redis.call('HSET', 'd:{default}:token', 'v', '999');
    servers.provider.revokeAccessTokens();

    const error = await settle(worker.api.get('/api/x'));

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as TokenFlightError).retryable).toBe(true);
    expect(servers.provider.stats.tokenRequests).toHaveLength(0);
    expect(servers.provider.stats.reuseDetections).toBe(0);
  });

  it('Redis restarted empty while another process was refreshing: the refresher writes back, the other waits for it instead of spending the same refresh token', async () => {
    servers.provider.setBehaviour({ tokenLatencyMs: 800 });
    const refresher = process_();
    const other = process_();
    await refresher.handle.setToken(servers.provider.authorize());
    await other.api.get('/api/warm'); // both processes hold version 1
    servers.provider.revokeAccessTokens();

    const first = settle(refresher.api.get('/api/a')); // refresh sent: the provider answers in 800 ms
    await sleep(200);
    await servers.redis.kill();
    await servers.redis.start(); // empty: the token and the refresher's lock are gone
    await sleep(100);
    const second = settle(other.api.get('/api/b'));

    const [a, b] = await Promise.all([first, second]);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    expect(servers.provider.stats.refreshes).toBe(1);
    expect(
      [a, b].map((r) => (axios.isAxiosError(r) ? r.response?.status : ((r as { status?: number }).status ?? (r as Error).name))),
    ).toEqual([200, 200]);
    expect((await other.handle.getToken()).version).toBe(2);
  });

  it('Redis restarted empty, and a process with an older copy puts it back: a process holding a newer copy restores it before anyone refreshes from the old one', async () => {
    const current = process_();
    const stale = process_();
    await current.handle.setToken(servers.provider.authorize());
    await stale.api.get('/api/warm'); // stale holds version 1
    servers.provider.revokeAccessTokens();
    await current.api.get('/api/refresh'); // version 2: RT1 is spent; stale never reads it
    await servers.redis.kill();
    await servers.redis.start(); // empty
    await sleep(500); // both reconnect (and re-subscribe to change notices)
    servers.provider.revokeAccessTokens();

    const response = await stale.api.get('/api/after'); // stale puts version 1 back; current must answer with version 2

    expect(response.status).toBe(200);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    expect(servers.provider.stats.refreshes).toBe(2);
  });

  it("a refresh that was on the wire when Redis died is written back after the restart even while another process holds the lock waiting for it (onStoreError 'local')", async () => {
    servers.provider.setBehaviour({ tokenLatencyMs: 600 });
    const refresher = process_({ notices: false });
    const other = process_();
    await refresher.handle.setToken(servers.provider.authorize());
    await other.api.get('/api/warm'); // both hold version 1
    servers.provider.revokeAccessTokens();
    const inFlight = settle(refresher.api.get('/api/a'));
    while (servers.provider.stats.tokenRequests.length === 0) await sleep(10);
    await servers.redis.kill(); // the refresher's write fails: it keeps version 2 in-process (degraded)
    expect(((await inFlight) as { status?: number }).status).toBe(200);
    await servers.redis.start(); // empty
    for (let ok = false; !ok; )
      ok = await other.redis.call('PING').then(
        () => true,
        async () => (await sleep(50), false),
      ); // its connection is back

    // other: puts its version 1 back and holds the lock through the grace; the refresher's write-back
    // (its recovery probe runs every second) finds the lock taken and must still put version 2 back.
    const response = await other.api.get('/api/b');

    expect(response.status).toBe(200);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    expect(servers.provider.stats.refreshes).toBe(1); // the other replays with the refresher's version 2
  });
});
