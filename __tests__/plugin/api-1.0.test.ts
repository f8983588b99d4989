/**
 * The 1.0 surface: grouped propagation options (old names refused), per-request `maxReplays`, the
 * `beforeReplay` hook, errors an axios user can read (`err.response`, `err.config`, `err.status`),
 * and no silent misconfiguration (a second attach, an uncalled matcher factory, a withheld token).
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import axios from 'axios';
import {
  attachTokenRefresh,
  matchers,
  MatcherError,
  oauth2,
  RedisCommandTimeoutError,
  RedisTokenStore,
  RefreshFailedError,
  ReplayLimitError,
  TokenDecodeError,
  TokenFlightError,
  type Logger,
} from '../../lib';
import { startRedisServer } from '../../lib/testing';
import { startApi } from '../helpers/api-server';
import { createRedis } from '../helpers/redis-client';
import { closeAll, harness, seedRejected } from '../helpers/setup';

afterEach(closeAll);

const refresh = async () => ({ accessToken: 'never-used' });

describe('options for 1.0', () => {
  it.each([
    ['propagationWindowMs', 1_000, 'propagation.windowMs'],
    ['maxPropagationWaits', 2, 'propagation.maxWaits'],
    ['propagationBackoffMs', { initial: 1, max: 2 }, 'propagation.backoffMs'],
  ])('the 0.x option %s (%p) is refused with a TypeError naming %s', (old, value, replacement) => {
    const attach = (): unknown =>
      attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), { refresh, [old]: value } as never);

    expect(attach).toThrow(TypeError);
    expect(attach).toThrow(`\`${replacement}\``);
  });

  it('a second attach on one instance is a TypeError; the first handle keeps working; after detach, attaching again works', async () => {
    const h = await harness();
    await h.handle.setToken({ accessToken: h.authority.issue(), expiresIn: 3600 });

    expect(() => attachTokenRefresh(h.client, { refresh })).toThrow(/already attached/);
    expect((await h.client.get('/me')).status).toBe(200);
    h.handle.detach();
    const again = attachTokenRefresh(h.client, { refresh });
    again.detach();
  });
});

describe('per-request maxReplays', () => {
  it('a 401 on a request with maxReplays: 0 is not replayed, while other requests are', async () => {
    const h = await harness();
    await seedRejected(h);

    const [zero, ordinary] = await Promise.all([
      h.client.get('/zero', { tokenFlight: { maxReplays: 0 } }).catch((error: unknown) => error),
      h.client.get('/ordinary'),
    ]);

    expect(zero).toBeInstanceOf(ReplayLimitError);
    expect(ordinary.status).toBe(200);
    expect(h.api.requests.filter((r) => r.path === '/zero')).toHaveLength(1);
    expect(h.api.requests.filter((r) => r.path === '/ordinary')).toHaveLength(2);
  });

  it.each([[-1], [1.5], ['2']])('an invalid value (%p) rejects that request with a TypeError', async (value) => {
    const h = await harness();
    await seedRejected(h);

    await expect(h.client.get('/x', { tokenFlight: { maxReplays: value as number } })).rejects.toThrow(
      /tokenFlight.maxReplays must be a non-negative integer/,
    );
    expect(h.api.requests).toHaveLength(0);
  });
});

describe('beforeReplay', () => {
  it('runs before every replay with attempts 1, 2 (a propagation wait, then a refresh); its header reaches the API; async is awaited', async () => {
    const seen: Array<{ attempt: number; verdict: string; key: string; authorization: unknown }> = [];
    let calls = 0;
    const h = await harness({
      matchers: [(response) => (response.status === 409 ? 'propagation' : response.status === 401 ? 'refresh' : undefined)],
      propagation: { backoffMs: { initial: 10, max: 10 } },
      beforeReplay: async (config, info) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push({ ...info, authorization: config.headers.get('Authorization') });
        config.headers.set('X-Signature', `sig-${info.attempt}`);
      },
    });
    h.api.handle((_request) => {
      calls += 1;
      if (calls === 1) return { status: 409 };
      if (calls === 2) return { status: 401 };
      return { body: { ok: true } };
    });
    await h.handle.setToken({ accessToken: h.authority.issue(), refreshToken: 'refresh-0', expiresIn: 3600 });

    const response = await h.client.get('/signed');

    expect(response.status).toBe(200);
    expect(seen.map(({ attempt, verdict, key }) => [attempt, verdict, key])).toEqual([
      [1, 'propagation', 'default'],
      [2, 'refresh', 'default'],
    ]);
    // It never sees a token: the rejected one is gone, the current one is injected after it ran.
    expect(seen.map(({ authorization }) => authorization)).toEqual([undefined, undefined]);
    expect(h.api.requests.every((r) => r.authorization?.startsWith('Bearer access-') === true)).toBe(true);
    expect(h.api.requests.map((r) => r.headers['x-signature'])).toEqual([undefined, 'sig-1', 'sig-2']);
  });

  it('a throw ends the request with that error, redacted, and no replay is sent', async () => {
    const h = await harness({
      beforeReplay: (config) => {
        throw new Error(`cannot sign ${String(config.url)}`);
      },
    });
    const token = await seedRejected(h);

    const error = await h.client.get('/x').catch((caught: unknown) => caught);

    expect((error as Error).message).toBe('cannot sign /x');
    expect(inspect(error, { depth: Infinity, showHidden: true })).not.toContain(token);
    expect(h.api.requests).toHaveLength(1);
  });
});

describe('errors an axios user can read', () => {
  it('ReplayLimitError carries status, response (status, data) and config (url, the token header kept with a redacted value), no token anywhere', async () => {
    const h = await harness({ maxReplays: 1 });
    h.api.handle(() => ({ status: 401, body: { message: 'still no', echo: 'x' } }));
    const token = await seedRejected(h);

    const error = (await h.client.get('/orders', { params: { page: 2 } }).catch((caught: unknown) => caught)) as ReplayLimitError;

    expect(error).toBeInstanceOf(ReplayLimitError);
    expect(error.status).toBe(401);
    expect(error.response?.status).toBe(401);
    expect(error.response?.data).toEqual({ message: 'still no', echo: 'x' });
    expect(error.config?.url).toBe('/orders');
    expect(error.config?.method).toBe('get');
    expect(error.config?.headers['Authorization']).toBe('[REDACTED]');
    expect(error.toJSON()).toMatchObject({ code: 'ERR_REPLAY_LIMIT', status: 401 });
    const rendered = [inspect(error, { depth: Infinity, showHidden: true }), JSON.stringify(error), JSON.stringify(error.toJSON())].join(
      '\n',
    );
    for (const issued of [token, ...h.authority.accepted]) expect(rendered).not.toContain(issued);
  });

  it("RefreshFailedError from a token endpoint carries the endpoint's status and body, client credentials and token fields replaced", async () => {
    const secret = `cs_${randomBytes(12).toString('hex')}`;
    const endpoint = await startApi(() => ({
      status: 503,
      body: { error: 'temporarily_unavailable', refresh_token: 'rt_echoed_back_123', detail: secret },
    }));
    try {
      const grant = oauth2.refreshTokenGrant({ tokenUrl: `${endpoint.url}/token?tenant=9`, clientId: 'client-1', clientSecret: secret });
      const current = {
        accessToken: 'at_current_1234567',
        refreshToken: 'rt_current_1234567',
        version: 1,
        issuedAt: Date.now(),
        extra: {},
      };

      const error = (await grant({ key: 'k', current, reason: 'expiring', signal: new AbortController().signal }).catch(
        (caught: unknown) => caught,
      )) as RefreshFailedError;

      expect(error).toBeInstanceOf(RefreshFailedError);
      expect(error.status).toBe(503);
      expect(error.response?.data).toMatchObject({ error: 'temporarily_unavailable', refresh_token: '[REDACTED]' });
      expect(error.config).toMatchObject({ method: 'post', url: `${endpoint.url}/token` });
      expect(error.config?.headers['Authorization']).toBe('[REDACTED]');
      const rendered = inspect(error, { depth: Infinity, showHidden: true }) + JSON.stringify(error);
      for (const value of [secret, 'rt_echoed_back_123', 'rt_current_1234567']) expect(rendered).not.toContain(value);
    } finally {
      await endpoint.close();
    }
  });

  it("RefreshFailedError from the user's own axios call to a token endpoint carries that answer too, its credentials and token fields left out", async () => {
    const endpoint = await startApi(() => ({ status: 502, body: { error: 'bad_gateway', access_token: 'at_leaked_in_body_123' } }));
    try {
      const h = await harness({
        refresh: async () => {
          const { data } = await axios.post(`${endpoint.url}/token`, 'grant_type=refresh_token', {
            auth: { username: 'client', password: 'client-secret-value' },
          });
          return data as { accessToken: string };
        },
      });
      await seedRejected(h);

      const error = (await h.client.get('/x').catch((caught: unknown) => caught)) as RefreshFailedError;

      expect(error).toBeInstanceOf(RefreshFailedError);
      expect(error.status).toBe(502);
      expect(error.response?.data).toEqual({ error: 'bad_gateway', access_token: '[REDACTED]' });
      expect(error.config).toMatchObject({ method: 'post', url: `${endpoint.url}/token` });
      const rendered = JSON.stringify(error) + inspect(error, { depth: Infinity });
      for (const secret of ['at_leaked_in_body_123', 'client-secret-value']) expect(rendered).not.toContain(secret);
    } finally {
      await endpoint.close();
    }
  });

  it('a request whose refresh got a 503 from the oauth2 helper sees that answer on the RefreshFailedError (with the backoff delay)', async () => {
    const endpoint = await startApi(() => ({ status: 503, body: { error: 'temporarily_unavailable' } }));
    try {
      const h = await harness({
        refresh: oauth2.refreshTokenGrant({ tokenUrl: `${endpoint.url}/token`, clientId: 'c', clientSecret: 'client-secret-value' }),
      });
      await seedRejected(h);

      const error = (await h.client.get('/x').catch((caught: unknown) => caught)) as RefreshFailedError;

      expect(error).toBeInstanceOf(RefreshFailedError);
      expect(error.status).toBe(503);
      expect(error.response?.data).toEqual({ error: 'temporarily_unavailable' });
      expect(error.retryAfterMs).toBeGreaterThan(0);
    } finally {
      await endpoint.close();
    }
  });

  it('RedisTokenStore#get rejects with TokenDecodeError (another encryptionKey) and RedisCommandTimeoutError (Redis paused), both TokenFlightErrors', async () => {
    const redis = await startRedisServer();
    const client = createRedis(redis.port);
    client.on?.('error', () => undefined);
    try {
      const writer = new RedisTokenStore(client, { encryptionKey: randomBytes(32) });
      await writer.acquireLock('k', 'o', 5_000);
      await writer.compareAndSet('k', { accessToken: 'at_1234567890', version: 1, issuedAt: Date.now(), extra: {} }, 0, 'o');
      const reader = new RedisTokenStore(client, { encryptionKey: randomBytes(32), commandTimeoutMs: 200 });

      const decodeError = await reader.get('k').catch((caught: unknown) => caught);
      redis.pause();
      const timeoutError = await reader.get('k').catch((caught: unknown) => caught);
      redis.resume();

      expect(decodeError).toBeInstanceOf(TokenDecodeError);
      expect(decodeError).toMatchObject({ code: 'ERR_TOKEN_DECODE', retryable: false, key: 'k' });
      expect(timeoutError).toBeInstanceOf(RedisCommandTimeoutError);
      expect(timeoutError).toMatchObject({ code: 'ERR_REDIS_TIMEOUT', retryable: true });
      for (const error of [decodeError, timeoutError]) expect(error).toBeInstanceOf(TokenFlightError);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});

describe('no silent misconfiguration', () => {
  it('an uncalled matcher factory (matchers.linkedin) fails the request with a MatcherError naming it, with the fix', async () => {
    const h = await harness({ matchers: [matchers.linkedin as never, matchers.unauthorized()] });
    await seedRejected(h);

    const error = await h.client.get('/x').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MatcherError);
    expect((error as Error).message).toMatch(/matcher #0 \(linkedin\) returned a function .*pass `linkedin\(\)`, not `linkedin`/);
    expect(error).toMatchObject({ retryable: false });
  });

  it('a token withheld from another origin is logged at debug level, once per origin', async () => {
    const debug: Array<[Record<string, unknown>, string]> = [];
    const logger: Logger = {
      debug: (fields, message) => void debug.push([fields, message]),
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const elsewhere = await startApi(() => ({ body: { ok: true } }));
    try {
      const h = await harness({ logger });
      await h.handle.setToken({ accessToken: h.authority.issue(), expiresIn: 3600 });

      await h.client.get(`${elsewhere.url}/a`);
      await h.client.get(`${elsewhere.url}/b`);

      expect(debug.filter(([, message]) => /not in `origins`/.test(message)).map(([fields]) => fields)).toEqual([
        { origin: elsewhere.origin },
      ]);
    } finally {
      await elsewhere.close();
    }
  });
});
