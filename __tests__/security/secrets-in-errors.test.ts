/**
 * No secret survives into an error, whatever its size or origin: a token echoed in a huge response
 * body, a Redis password in a refused AUTH/HELLO, a client secret in the token URL's query. Checked
 * in every rendering a logger or error tracker uses. Part of the security matrix (every axios minor).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { inspect } from 'node:util';
import axios from 'axios';
import { attachTokenRefresh, oauth2, RedisTokenStore, RefreshFailedError, TokenFlightError, type TokenRefreshHandle } from '../../lib';
import { redactError } from '../../lib/secrets/redact';
import { WITHHELD } from '../../lib/secrets/scrub';
import { startRedisServer, type RedisServer } from '../../lib/testing';
import { startApi, type TestApi } from '../helpers/api-server';
import { createRedis } from '../helpers/redis-client';
import { Cleanups } from '../helpers/setup';

const ACCESS_TOKEN = `at_${randomBytes(24).toString('base64url')}`;

const cleanups = new Cleanups();
afterEach(async () => {
  await cleanups.run();
});

/** Every way an error is commonly rendered: by loggers, error trackers, `console.log`. */
function renderings(error: unknown): Record<string, string> {
  const deep = { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity } as const;
  const plain = error as { message?: unknown; stack?: unknown; toJSON?: () => unknown; response?: { data?: unknown } };
  return {
    message: String(plain.message),
    stack: String(plain.stack),
    toJSON: typeof plain.toJSON === 'function' ? JSON.stringify(plain.toJSON()) : '',
    json: JSON.stringify(error) ?? '',
    inspect: inspect(error, deep),
    inspectHidden: inspect(error, { ...deep, showHidden: true }),
    data: JSON.stringify(plain.response?.data) ?? '',
  };
}

function expectNowhere(error: unknown, secret: string): void {
  const found = Object.entries(renderings(error))
    .filter(([, text]) => text.includes(secret))
    .map(([where]) => where);
  expect(found).toEqual([]);
}

async function attachedTo(api: TestApi): Promise<ReturnType<typeof axios.create>> {
  const instance = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(instance, { refresh: async () => ({ accessToken: ACCESS_TOKEN, expiresIn: 3600 }) });
  cleanups.push(() => handle.detach());
  await handle.setToken({ accessToken: ACCESS_TOKEN, expiresIn: 3600 });
  return instance;
}

describe(`huge error bodies (axios ${axios.VERSION})`, () => {
  it.each([
    ['next to 60 000 items', (items: unknown[]) => ({ authorization: `Bearer ${ACCESS_TOKEN}`, items })],
    [
      'inside the first of 60 000 items',
      (items: unknown[]) => ({ items: [{ echo: { authorization: `Bearer ${ACCESS_TOKEN}` } }, ...items] }),
    ],
    [
      'inside the last of 60 000 items',
      (items: unknown[]) => ({ items: [...items, { echo: { authorization: `Bearer ${ACCESS_TOKEN}` } }] }),
    ],
  ])('a 500 echoing the token %s: the token is in no rendering, and the status is still there', async (_, shape) => {
    const items = Array.from({ length: 60_000 }, (_, index) => ({ id: index, tags: [{ name: 'x' }] }));
    const api = await startApi(() => ({ status: 500, body: shape(items) }));
    cleanups.push(() => api.close());
    const client = await attachedTo(api);

    const error = await client.get('/big').catch((caught: unknown) => caught);

    expect((error as { response?: { status?: number } }).response?.status).toBe(500);
    expectNowhere(error, ACCESS_TOKEN);
  });

  it('with no secret to look for, a big body is passed on whole; with one, what the walk cannot reach is withheld', () => {
    const bigError = (): Error & { response: { data: { items: unknown[] } } } =>
      Object.assign(new Error('Request failed with status code 500'), {
        response: { data: { items: Array.from({ length: 60_000 }, (_, id) => ({ id, tags: [{ id }] })) } },
      });

    const nothingKnown = redactError(bigError(), []);
    const tokenKnown = redactError(bigError(), [ACCESS_TOKEN]);

    expect(nothingKnown.response.data.items.filter((item) => item === WITHHELD)).toHaveLength(0);
    expect(tokenKnown.response.data.items.filter((item) => item === WITHHELD).length).toBeGreaterThan(0);
  });
});

describe('a refused Redis password', () => {
  let server: RedisServer;
  const PASSWORD = `redis-pw-${randomBytes(12).toString('hex')}`;
  const WRONG = `wrong-pw-${randomBytes(12).toString('hex')}`;

  beforeEach(async () => {
    server = await startRedisServer(['--requirepass', PASSWORD]);
    cleanups.push(() => server.stop());
  });

  it.each([
    ['the wrong password', WRONG],
    ['the right password, refused after a change', PASSWORD],
  ])("with %s under onStoreError 'fail': a TokenFlightError, and the password in no rendering, log call or event", async (_, password) => {
    if (password === PASSWORD) {
      // The server's password changes under a client configured with the old one.
      const admin = createRedis(server.port, { password: PASSWORD });
      await (admin as unknown as { config(...args: string[]): Promise<unknown> }).config('SET', 'requirepass', `${PASSWORD}-rotated`);
      admin.disconnect();
    }
    const redis = createRedis(server.port, { password });
    redis.on?.('error', () => undefined);
    cleanups.push(() => redis.disconnect());
    const calls: unknown[] = [];
    const record = (...args: unknown[]): void => void calls.push(args);
    const logger = { debug: record, info: record, warn: record, error: record };
    const instance = axios.create({ baseURL: 'http://127.0.0.1:9' });
    const handle: TokenRefreshHandle = attachTokenRefresh(instance, {
      store: new RedisTokenStore(redis),
      onStoreError: 'fail',
      logger,
      refresh: async () => ({ accessToken: ACCESS_TOKEN, expiresIn: 3600 }),
    });
    cleanups.push(() => handle.detach());
    const events: unknown[] = [];
    for (const name of ['store-degraded', 'refresh-failed', 'store-recovered'] as const)
      handle.events.on(name, (payload) => events.push(payload));

    const error = await handle.getToken().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TokenFlightError);
    expectNowhere(error, password);
    expect(JSON.stringify(calls)).not.toContain(password);
    expect(JSON.stringify(events)).not.toContain(password);
  });
});

describe(`a credential in the token URL's query (axios ${axios.VERSION})`, () => {
  it('an unreachable token endpoint: the RefreshFailedError and its cause never show the query secret', async () => {
    const CLIENT_SECRET = `cs_${randomBytes(16).toString('hex')}`;
    const port = await closedPort();
    const refresh = oauth2.refreshTokenGrant({
      tokenUrl: `http://127.0.0.1:${port}/token?client_secret=${CLIENT_SECRET}`,
      clientId: 'client-1',
    });

    const error = await refresh({
      key: 'k',
      current: { accessToken: ACCESS_TOKEN, refreshToken: 'rt_0123456789', version: 1, issuedAt: Date.now(), extra: {} },
      reason: 'expiring',
      signal: new AbortController().signal,
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}/token`);
    expectNowhere(error, CLIENT_SECRET);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
