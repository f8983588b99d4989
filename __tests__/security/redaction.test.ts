/**
 * No secret the plugin knows for a credential — access token, refresh token, client secret, Basic
 * credentials — appears in any rendering of any error it emits or passes through, at any depth:
 * message, stack, toJSON, JSON.stringify, util.inspect(depth: Infinity), cause chains, events.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import axios from 'axios';
import {
  attachTokenRefresh,
  MemoryTokenStore,
  oauth2,
  ReauthorizationRequiredError,
  RedisTokenStore,
  RefreshFailedError,
  StoreUnavailableError,
  type TokenSet,
} from '../../lib';
import { startRedisServer, type RedisServer } from '../../lib/testing';
import { startApi, type TestApi } from '../helpers/api-server';
import { createRedis } from '../helpers/redis-client';
import { Cleanups } from '../helpers/setup';

const secret = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;
const ACCESS_TOKEN = secret('at');
const REFRESH_TOKEN = secret('rt');
const CLIENT_SECRET = secret('cs');

/** Everything a logger or a developer could print of an error. */
function everyRendering(error: unknown): string {
  const e = error as Error & { toJSON?: () => unknown };
  return [
    e.message,
    String(e.stack),
    String(error),
    JSON.stringify(error),
    JSON.stringify(e.toJSON?.() ?? null),
    inspect(error, { depth: Infinity }),
  ].join('\n');
}

function expectNoSecrets(text: string, secrets: readonly string[] = [ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET]): void {
  for (const value of secrets) {
    expect(text).not.toContain(value);
    expect(text).not.toContain(encodeURIComponent(value));
  }
  expect(text).not.toContain(Buffer.from(`client-id:${CLIENT_SECRET}`).toString('base64'));
}

const cleanups = new Cleanups();
afterEach(async () => {
  await cleanups.run();
});

async function api(handler: Parameters<typeof startApi>[0]): Promise<TestApi> {
  const server = await startApi(handler);
  cleanups.push(() => server.close());
  return server;
}

describe('store errors', () => {
  let redis: RedisServer;
  beforeEach(async () => {
    redis = await startRedisServer();
    cleanups.push(() => redis.stop());
  });

  it('a Redis error quoting the fenced write (ACL without PUBLISH) reaches StoreUnavailableError without the tokens', async () => {
    const admin = createRedis(redis.port);
    await admin.call('ACL', 'SETUSER', 'worker', 'on', '>worker-password', '~*', '&*', '+@all', '-publish');
    await admin.quit();
    const client = createRedis(redis.port, { username: 'worker', password: 'worker-password' } as never);
    cleanups.push(() => client.disconnect());
    const instance = axios.create({ baseURL: 'https://api.example.com' });
    const handle = attachTokenRefresh(instance, {
      refresh: async () => ({ accessToken: secret('unused') }),
      store: new RedisTokenStore(client, { prefix: 'acl' }),
      onStoreError: 'fail',
    });
    cleanups.push(() => handle.detach());

    const error = await handle
      .setToken({ accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresIn: 3600 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    const text = everyRendering(error);
    // The cause is still there, and still says what went wrong (Redis 7.0 and 7.2 word it differently)…
    expect(text).toMatch(/NOPERM|can't run this command/);
    expectNoSecrets(text); // …without the command's arguments in clear
  });

  it("a custom store's error message quoting the token set is scrubbed, in the error and in store-degraded", async () => {
    const store = new MemoryTokenStore();
    const leaky = {
      get: (key: string) => store.get(key),
      acquireLock: (key: string, owner: string, ttl: number) => store.acquireLock(key, owner, ttl),
      releaseLock: (key: string, owner: string) => store.releaseLock(key, owner),
      compareAndSet: async (_key: string, next: TokenSet) => {
        throw new Error(`INSERT INTO tokens VALUES (${JSON.stringify(next)}) failed: connection reset`);
      },
    };
    const messages: string[] = [];
    for (const onStoreError of ['fail', 'local'] as const) {
      const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
        refresh: async () => ({ accessToken: secret('unused') }),
        store: leaky,
        onStoreError,
      });
      cleanups.push(() => handle.detach());
      handle.events.on('store-degraded', (event) => messages.push(JSON.stringify(event)));
      const error = await handle.setToken({ accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN }).catch((e: unknown) => e);
      if (onStoreError === 'fail') {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expectNoSecrets(everyRendering(error));
      }
    }
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('connection reset');
    expectNoSecrets(messages[0] as string);
  });
});

describe('token endpoint errors', () => {
  it('an error_description that echoes the refresh token and client secret is scrubbed before it is quoted', async () => {
    const endpoint = await api(() => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: `refresh token ${REFRESH_TOKEN} is not valid for client secret ${CLIENT_SECRET}` },
    }));
    const refresh = oauth2.refreshTokenGrant({ tokenUrl: `${endpoint.url}/token`, clientId: 'client-id', clientSecret: CLIENT_SECRET });

    const error = await refresh({ key: 'k', reason: 'rejected', signal: new AbortController().signal, current: current() }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect((error as Error).message).toContain('invalid_grant: refresh token [REDACTED] is not valid');
    expectNoSecrets(everyRendering(error));
  });

  it('a tokenUrl with a client_secret in its query string is printed without the query', async () => {
    const endpoint = await api(() => ({ status: 503, body: 'down' }));
    const refresh = oauth2.refreshTokenGrant({
      tokenUrl: `${endpoint.url}/token?client_secret=${CLIENT_SECRET}&tenant=x`,
      clientId: 'client-id',
    });

    const error = await refresh({ key: 'k', reason: 'rejected', signal: new AbortController().signal, current: current() }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toContain(`${endpoint.url}/token answered 503`);
    expectNoSecrets(everyRendering(error));
  });

  it('an unreachable token endpoint: the network error in `cause` carries no secret at any depth', async () => {
    const refresh = oauth2.refreshTokenGrant({ tokenUrl: 'http://127.0.0.1:9/token', clientId: 'client-id', clientSecret: CLIENT_SECRET });
    const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), { refresh });
    cleanups.push(() => handle.detach());
    await handle.setToken({ accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresAt: Date.now() + 150 });
    await new Promise((resolve) => setTimeout(resolve, 170));

    const error = await handle.getToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RefreshFailedError);
    expectNoSecrets(everyRendering(error));
  });
});

describe('errors from requests and from refresh()', () => {
  it('an API error whose body echoes the token is scrubbed at depth Infinity, and still is an AxiosError', async () => {
    const server = await api((request) => ({ status: 500, body: { debug: { youSent: request.authorization } } }));
    const instance = axios.create({ baseURL: server.url });
    const handle = attachTokenRefresh(instance, { refresh: async () => ({ accessToken: secret('unused') }) });
    cleanups.push(() => handle.detach());
    await handle.setToken({ accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresIn: 3600 });

    const error = await instance.get('/x').catch((e: unknown) => e);

    expect(axios.isAxiosError(error) && error.response?.status).toBe(500);
    expect(server.requests[0]?.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expectNoSecrets(everyRendering(error));
  });

  it("an error thrown by the caller's own refresh() that quotes the refresh token is scrubbed in the cause chain", async () => {
    const instance = axios.create({ baseURL: 'https://api.example.com' });
    const handle = attachTokenRefresh(instance, {
      refresh: async (context) => {
        const inner = new Error(`provider refused ${String(context.current?.refreshToken)}`);
        throw new AggregateError([inner], `refresh of ${context.current?.accessToken ?? ''} failed`, { cause: inner });
      },
    });
    cleanups.push(() => handle.detach());
    await handle.setToken({ accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresAt: Date.now() + 150 });
    await new Promise((resolve) => setTimeout(resolve, 170));

    const error = await handle.getToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(inspect(error, { depth: Infinity })).toContain('provider refused [REDACTED]');
    expectNoSecrets(everyRendering(error));
  });
});

function current(): TokenSet {
  return { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, version: 1, issuedAt: Date.now(), extra: {} };
}
