/**
 * A hostile or broken token endpoint cannot exhaust memory, receive the client credentials on a
 * redirect, make the fleet refresh forever with an absurd lifetime, or plant a token that breaks
 * every request. Real local servers; Redis where the effect crosses processes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { type AxiosInstance } from 'axios';
import { attachTokenRefresh, oauth2, RedisTokenStore, RefreshFailedError, type RefreshContext, type TokenRefreshHandle } from '../../lib';
import { startRedisServer, type RedisServer } from '../../lib/testing';
import { startApi, type TestApi } from '../helpers/api-server';
import { createRedis } from '../helpers/redis-client';
import { Cleanups } from '../helpers/setup';

const hasFetchAdapter = Number(axios.VERSION.split('.')[1]) >= 7;
const CLIENT_SECRET = 'cs_a-client-secret-that-must-stay-home';

const cleanups = new Cleanups();
afterEach(async () => {
  await cleanups.run();
});

async function server(handler: Parameters<typeof startApi>[0]): Promise<TestApi> {
  const started = await startApi(handler);
  cleanups.push(() => started.close());
  return started;
}

function context(): RefreshContext {
  return Object.freeze({
    key: 'k',
    reason: 'rejected' as const,
    signal: AbortSignal.timeout(10_000),
    current: {
      accessToken: 'at_current-access-token',
      refreshToken: 'rt_current-refresh-token',
      version: 1,
      issuedAt: Date.now(),
      extra: {},
    },
  });
}

const clients: Array<[string, () => AxiosInstance | undefined]> = [['the private client', () => undefined]];
if (hasFetchAdapter) clients.push(['an httpClient on the fetch adapter', () => axios.create({ adapter: 'fetch' })]);

describe(`token endpoint responses (axios ${axios.VERSION})`, () => {
  it.each(clients)(
    'a response larger than maxResponseBytes (1 MiB by default) fails the refresh instead of filling memory (%s)',
    async (_client, httpClient) => {
      // Streams up to 64 MiB of JSON-looking padding; records how much it managed to write.
      let written = 0;
      const endpoint = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = (): void => {
          while (written < 64 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => undefined);
        pump();
      });
      await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () => new Promise((resolve) => endpoint.close(resolve)),
        () => endpoint.closeAllConnections(),
      );
      const tokenUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/token`;

      const client = httpClient();
      const refresh = oauth2.refreshTokenGrant({
        tokenUrl,
        clientId: 'client-id',
        ...(client === undefined ? {} : { httpClient: client }),
      });

      const error = await refresh(context()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RefreshFailedError);
      expect((error as Error).message).toMatch(/answered with more than maxResponseBytes \(1048576 bytes\)/);
      // The client stopped reading soon after the limit: the server could not push the rest into memory.
      expect(written).toBeLessThan(16 * 1024 * 1024);
    },
  );

  it.each(clients)('a Content-Length above maxResponseBytes is refused before the body is read (%s)', async (_client, httpClient) => {
    // Announces 5 000 bytes, sends 10 and stalls: only a refusal on the header can answer at once.
    const endpoint = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"access_');
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () => new Promise((resolve) => endpoint.close(resolve)),
      () => endpoint.closeAllConnections(),
    );
    const client = httpClient();
    const tokenUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/token`;
    const refresh = oauth2.refreshTokenGrant({
      tokenUrl,
      clientId: 'c',
      maxResponseBytes: 1_000,
      ...(client === undefined ? {} : { httpClient: client }),
    });
    const stalled = { ...context(), signal: AbortSignal.timeout(3_000) };

    await expect(refresh(stalled)).rejects.toThrow(/more than maxResponseBytes \(1000 bytes\)/);
  });

  it('maxResponseBytes can be set; a small answer still works', async () => {
    const big = await server(() => ({ body: { access_token: 'at_fine', padding: 'x'.repeat(5_000) } }));
    const small = await server(() => ({ body: { access_token: 'at_fine', expires_in: 60 } }));

    const error = await oauth2
      .refreshTokenGrant({ tokenUrl: `${big.url}/token`, clientId: 'c', maxResponseBytes: 2_000 })(context())
      .catch((e: unknown) => e);
    const token = await oauth2.refreshTokenGrant({ tokenUrl: `${small.url}/token`, clientId: 'c', maxResponseBytes: 2_000 })(context());

    expect((error as Error).message).toMatch(/more than maxResponseBytes \(2000 bytes\)/);
    expect(token).toMatchObject({ accessToken: 'at_fine', expiresIn: 60 });
  });

  it.each(clients)(
    'a redirect is a RefreshFailedError naming it, and the credentials never reach its target (%s)',
    async (_client, httpClient) => {
      const elsewhere = await server(() => ({ body: { access_token: 'at_stolen' } }));
      const endpoint = await server(() => ({ status: 307, headers: { location: `${elsewhere.url}/collect?x=1` } }));
      const client = httpClient();
      const refresh = oauth2.refreshTokenGrant({
        tokenUrl: `${endpoint.url}/token`,
        clientId: 'client-id',
        clientSecret: CLIENT_SECRET,
        authMethod: 'client_secret_post',
        ...(client === undefined ? {} : { httpClient: client }),
      });

      const error = await refresh(context()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RefreshFailedError);
      expect((error as Error).message).toContain(`answered with a redirect (307) to ${elsewhere.url}/collect;`);
      expect(elsewhere.requests).toHaveLength(0);
      expect(endpoint.requests[0]?.body).toContain('client_secret=');
    },
  );

  it('a token with a line break or non-ASCII character is refused at refresh (RefreshFailedError) and at setToken (TypeError)', async () => {
    const endpoint = await server(() => ({ body: { access_token: 'at_ok\r\nX-Injected: yes', expires_in: 3600 } }));
    const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
      refresh: oauth2.refreshTokenGrant({ tokenUrl: `${endpoint.url}/token`, clientId: 'c' }),
    });
    cleanups.push(() => handle.detach());
    await handle.setToken({ accessToken: 'at_seed-token', refreshToken: 'rt_seed-token', expiresAt: Date.now() + 150 });
    await new Promise((resolve) => setTimeout(resolve, 170));

    const error = await handle.getToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toMatch(/accessToken contains characters an HTTP header cannot carry/);
    expect((error as Error).message).not.toContain('X-Injected');
    await expect(handle.setToken({ accessToken: 'at_caf\u00e9-token' })).rejects.toThrow(TypeError);
    await expect(handle.setToken({ accessToken: 'at_fine', refreshToken: 'rt_line\nbreak' })).rejects.toThrow(
      /refreshToken contains characters/,
    );
  });

  it.each([[''], ['Bearer extra'], ['Bear\ter']])('tokenType %j is refused with a TypeError', async (tokenType) => {
    const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
      refresh: async () => ({ accessToken: 'x' }),
    });
    cleanups.push(() => handle.detach());

    await expect(handle.setToken({ accessToken: 'at_fine', tokenType })).rejects.toThrow(/tokenType must be an HTTP authentication scheme/);
  });
});

describe('absurd lifetimes across processes (Redis)', () => {
  let redis: RedisServer;
  beforeEach(async () => {
    redis = await startRedisServer();
    cleanups.push(() => redis.stop());
  });

  function processOn(refresh: Parameters<typeof attachTokenRefresh>[1]['refresh']): TokenRefreshHandle {
    const client = createRedis(redis.port);
    const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
      refresh,
      store: new RedisTokenStore(client, { prefix: 'life' }),
    });
    cleanups.push(
      () => client.disconnect(),
      () => handle.detach(),
    );
    return handle;
  }

  it('expires_in of 1e306 s is capped at one year: another process reads a finite expiry and does not refresh again', async () => {
    const endpoint = await server(() => ({
      body: { access_token: `at_${Date.now()}-long-lived`, refresh_token: 'rt_next-refresh-token', expires_in: 1e306 },
    }));
    const refresh = oauth2.refreshTokenGrant({ tokenUrl: `${endpoint.url}/token`, clientId: 'c' });
    const first = processOn(refresh);
    const second = processOn(refresh);
    await first.setToken({ accessToken: 'at_seed-token', refreshToken: 'rt_seed-token', expiresAt: Date.now() + 150 });
    await new Promise((resolve) => setTimeout(resolve, 170));

    const refreshed = await first.getToken();
    for (let i = 0; i < 3; i++) await second.getToken();

    expect(endpoint.requests).toHaveLength(1);
    expect(Number.isFinite(refreshed.expiresAt)).toBe(true);
    expect(refreshed.expiresAt).toBeLessThanOrEqual(Date.now() + 366 * 24 * 3600 * 1000);
    expect((await second.getToken()).expiresAt).toBe(refreshed.expiresAt);
  });

  it('a token set stored with expiresAt: null by an older version is read as "no known expiry", not "always due"', async () => {
    let refreshes = 0;
    const handle = processOn(async () => {
      refreshes += 1;
      return { accessToken: 'at_refreshed-token' };
    });
    const admin = createRedis(redis.port);
    cleanups.push(() => admin.disconnect());
    const legacy = { accessToken: 'at_legacy-token', refreshToken: 'rt_legacy', expiresAt: null, version: 3, issuedAt: Date.now() };
    await admin.call('HSET', 'life:{default}:token', 'v', '3', 'd', JSON.stringify(legacy));

    for (let i = 0; i < 3; i++) expect((await handle.getToken()).accessToken).toBe('at_legacy-token');
    expect(refreshes).toBe(0);
  });
});
