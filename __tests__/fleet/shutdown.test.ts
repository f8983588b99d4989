/**
 * Shutting down mid-refresh must not burn the credential: with rotation, the provider has spent the
 * old refresh token as soon as it answers, so its answer must be written, whether the worker calls
 * `detach()` (at once) or `close()` (gracefully) — or gets SIGTERM during a rolling deploy.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import axios, { type AxiosInstance } from 'axios';
import { attachTokenRefresh, oauth2, RedisTokenStore, type TokenRefreshHandle } from '../../lib';
import { useRedisAndProvider } from '../helpers/redis-and-provider';
import { createRedis } from '../helpers/redis-client';

jest.setTimeout(30_000);

const servers = useRedisAndProvider({ tokenLatencyMs: 1_000 });

function worker(prefix = 'shutdown'): { api: AxiosInstance; handle: TokenRefreshHandle; store: RedisTokenStore } {
  const client = createRedis(servers.redis.port);
  const store = new RedisTokenStore(client, { prefix });
  const api = axios.create({ baseURL: servers.provider.url });
  const handle = attachTokenRefresh(api, {
    store,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: servers.provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    refreshTimeoutMs: 2_000,
    lockTtlMs: 4_000,
  });
  servers.onCleanup(
    () => client.disconnect(),
    () => handle.detach(),
  );
  return { api, handle, store };
}

const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a request whose token the provider rejects; returns once its refresh is on the wire (not when the request ends). */
async function refreshOnTheWire(api: AxiosInstance): Promise<{ request: Promise<unknown> }> {
  servers.provider.revokeAccessTokens();
  const request = settle(api.get('/api/in-flight'));
  while (servers.provider.stats.tokenRequests.length === 0) await sleep(10);
  await sleep(300); // the provider has the request; it answers 1 s after receiving it
  return { request };
}

it('detach() with a refresh on the wire: the caller stops waiting, but the answer is still written and the next process uses it', async () => {
  const first = worker();
  await first.handle.setToken(servers.provider.authorize());
  const { request } = await refreshOnTheWire(first.api);

  first.handle.detach();
  expect(axios.isCancel(await request)).toBe(true);
  const deadline = Date.now() + 3_000;
  while ((await first.store.get('default'))?.version !== 2 && Date.now() < deadline) await sleep(50);

  const next = worker();
  const response = await next.api.get('/api/after');
  expect(response.status).toBe(200);
  expect(servers.provider.stats.refreshes).toBe(1);
  expect(servers.provider.stats.reuseDetections).toBe(0);
});

it('close() with a refresh on the wire: the waiting request completes with the new token, then close() resolves with it stored', async () => {
  const first = worker();
  await first.handle.setToken(servers.provider.authorize());
  const { request } = await refreshOnTheWire(first.api);

  await first.handle.close();

  expect((await first.store.get('default'))?.version).toBe(2);
  expect(((await request) as { status?: number }).status).toBe(200);
  const next = worker();
  expect((await next.api.get('/api/after')).status).toBe(200);
  expect(servers.provider.stats.refreshes).toBe(1);
  expect(servers.provider.stats.reuseDetections).toBe(0);
});

it('close() starts no new refresh but lets requests with a valid token through while it waits; afterwards the plugin is detached', async () => {
  const first = worker();
  await first.handle.setToken(servers.provider.authorize(), 'draining');
  await first.handle.setToken(servers.provider.authorize(), 'valid');
  first.api.defaults.tokenFlight = { key: 'draining' };
  const { request } = await refreshOnTheWire(first.api);
  await first.handle.setToken(servers.provider.authorize(), 'valid'); // revoked above: seed a live one again

  const closing = first.handle.close();
  const needsRefresh = await settle(first.api.get('/api/x', { tokenFlight: { key: 'never-seeded' } }));
  const hasToken = await first.api.get('/api/y', { tokenFlight: { key: 'valid' } });
  await closing;
  const afterClose = await settle(first.api.get('/api/z', { tokenFlight: { key: 'valid' } }));

  expect(axios.isCancel(needsRefresh)).toBe(true);
  expect((needsRefresh as Error).message).toBe('axios-token-flight: closed');
  expect(hasToken.status).toBe(200);
  expect(((await request) as { status?: number }).status).toBe(200);
  expect(axios.isAxiosError(afterClose) && afterClose.response?.status).toBe(401); // detached: no token
  expect(servers.provider.stats.tokenRequests).toHaveLength(1);
});

it('close() is bounded by refreshTimeoutMs when the token endpoint never answers', async () => {
  servers.provider.setBehaviour({ tokenFault: 'timeout' });
  const first = worker();
  await first.handle.setToken(servers.provider.authorize());
  const { request } = await refreshOnTheWire(first.api);
  const started = Date.now();

  await first.handle.close();

  expect(Date.now() - started).toBeLessThan(2_000 + 2_000 + 1_000); // refreshTimeoutMs + write margin + slack
  expect((await request) as Error).toHaveProperty('name', 'RefreshFailedError');
});

it('SIGTERM during a refresh, shut down as the README shows: the process exits on its own, the request completes, the rotated tokens are stored', async () => {
  const seeder = worker('sigterm');
  await seeder.handle.setToken(servers.provider.authorize());
  servers.provider.revokeAccessTokens();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'fixtures', 'sigterm-child.ts')], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, API_URL: servers.provider.url, TOKEN_URL: servers.provider.tokenUrl, REDIS_PORT: String(servers.redis.port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    if (line === 'refreshing') setTimeout(() => child.kill('SIGTERM'), 300);
  });
  const exitCode = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(-1);
    }, 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });

  expect(exitCode).toBe(0); // -1 would mean something kept it alive
  expect(lines).toEqual(['refreshing', 'request 200']);
  expect((await seeder.store.get('default'))?.version).toBe(2);
  expect(servers.provider.stats.reuseDetections).toBe(0);
});
