/**
 * The OAuth 2 grant helpers (refreshTokenGrant, clientCredentialsGrant): what the token endpoint
 * receives, what its answers become (token sets and typed errors), and every option check.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { AxiosError } from 'axios';
import nock from 'nock';
import {
  attachTokenRefresh,
  oauth2,
  ReauthorizationRequiredError,
  type RefreshContext,
  RefreshFailedError,
  type TokenSet,
} from '../../lib';
import { parseTokenResponse, retryAfterMs } from '../../lib/oauth2/token-response';

const TOKEN_HOST = 'https://auth.example.com';
const tokenUrl = `${TOKEN_HOST}/oauth/token`;

function context(
  current: Partial<TokenSet> | null = { accessToken: 'a', refreshToken: 'stored-refresh', version: 1, issuedAt: 0 },
  signal = new AbortController().signal,
): RefreshContext {
  return { key: 'acct-1', current: current as TokenSet | null, reason: 'rejected', signal };
}

beforeAll(() => {
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
  // Un-patch Node's http: runners that reuse one process for many files (Stryker) would otherwise
  // send every later suite's real requests through nock.
  nock.restore();
});

describe('oauth2.refreshTokenGrant', () => {
  it('sends client_secret_basic by default and returns the rotated refresh token', async () => {
    let body = '';
    const scope = nock(TOKEN_HOST)
      .post('/oauth/token', (b: string) => ((body = b), true))
      .matchHeader('authorization', `Basic ${Buffer.from('my+client:s%3Acret').toString('base64')}`)
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, {
        access_token: 'new-access',
        refresh_token: 'rotated-refresh',
        expires_in: 3600,
        token_type: 'bearer',
        scope: 'r_ads',
        instance_url: 'https://acme.my.salesforce.com',
      });

    const token = await oauth2.refreshTokenGrant({ tokenUrl, clientId: 'my client', clientSecret: 's:cret' })(context());

    expect(token).toEqual({
      accessToken: 'new-access',
      refreshToken: 'rotated-refresh',
      expiresIn: 3600,
      tokenType: 'bearer',
      scope: 'r_ads',
      // Every field the plugin does not use itself, for the caller (Salesforce routes by instance_url).
      extra: { scope: 'r_ads', instance_url: 'https://acme.my.salesforce.com' },
    });
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({ grant_type: 'refresh_token', refresh_token: 'stored-refresh' });
    scope.done();
  });

  it('sends client_secret_post, scope and extra params in the body when asked', async () => {
    let body = '';
    nock(TOKEN_HOST)
      .post('/oauth/token', (b: string) => ((body = b), true))
      .reply(200, function reply() {
        expect(this.req.headers['authorization']).toBeUndefined();
        return { access_token: 'x', expires_in: '3599' };
      });

    const token = await oauth2.refreshTokenGrant({
      tokenUrl,
      clientId: 'cid',
      clientSecret: 'sec',
      authMethod: 'client_secret_post',
      scope: 'a b',
      extraParams: { resource: 'https://graph' },
    })(context());

    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'stored-refresh',
      client_id: 'cid',
      client_secret: 'sec',
      scope: 'a b',
      resource: 'https://graph',
    });
    expect(token).toEqual({ accessToken: 'x', expiresIn: 3599, extra: {} }); // string expires_in accepted; no refresh_token → none returned
  });

  it('public clients send only client_id', async () => {
    let body = '';
    nock(TOKEN_HOST)
      .post('/oauth/token', (b: string) => ((body = b), true))
      .reply(200, { access_token: 'x' });
    await oauth2.refreshTokenGrant({ tokenUrl, clientId: 'spa' })(context());
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'stored-refresh',
      client_id: 'spa',
    });
  });

  it.each([
    [
      400,
      { error: 'invalid_grant', error_description: 'Refresh token revoked' },
      ReauthorizationRequiredError,
      /400 invalid_grant: Refresh token revoked/,
    ],
    [401, { error: 'invalid_client' }, ReauthorizationRequiredError, /401 invalid_client/],
    [403, 'Forbidden', ReauthorizationRequiredError, /403/],
    [400, { error: 'invalid_request' }, RefreshFailedError, /400 invalid_request/],
    [503, '<html>down</html>', RefreshFailedError, /503/],
    [429, { error: 'slow_down' }, RefreshFailedError, /429/],
  ])('maps HTTP %i %j to the right typed error', async (status, reply, type, message) => {
    nock(TOKEN_HOST)
      .post('/oauth/token')
      .reply(status, reply as never);
    const error = await oauth2
      .refreshTokenGrant({ tokenUrl, clientId: 'c', clientSecret: 's' })(context())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
    expect((error as ReauthorizationRequiredError).key).toBe('acct-1');
  });

  it.each([
    ['no access_token', { token_type: 'bearer' }, /no access_token/],
    ['empty body', '', /not a JSON object \(empty\)/],
    ['HTML', '<html>oops</html>', /not a JSON object \(unparseable\)/],
    ['a JSON array', [1, 2], /not a JSON object/],
    ['negative expires_in', { access_token: 'secret-token-value', expires_in: -1 }, /expires_in must be a positive number/],
    ['non-numeric expires_in', { access_token: 'secret-token-value', expires_in: 'soon' }, /expires_in must be a positive number.*NaN/],
    ['numeric refresh_token', { access_token: 'secret-token-value', refresh_token: 7 }, /refresh_token must be a non-empty string/],
  ])('reports a malformed 200 body (%s) as RefreshFailedError with a clear message and no token', async (_name, reply, message) => {
    nock(TOKEN_HOST)
      .post('/oauth/token')
      .reply(200, reply as never);
    const error = await oauth2
      .refreshTokenGrant({ tokenUrl, clientId: 'c', clientSecret: 's' })(context())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('secret-token-value');
  });

  it('reports a network failure as retryable RefreshFailedError', async () => {
    // A real server that drops the connection (nock's replyWithError leaves a mock socket open).
    const server = http.createServer((request) => request.socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nock.enableNetConnect('127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      const grant = oauth2.refreshTokenGrant({ tokenUrl: `http://127.0.0.1:${port}/oauth/token`, clientId: 'c', clientSecret: 's' });
      const error = await grant(context()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RefreshFailedError);
      expect((error as RefreshFailedError).retryable).toBe(true);
      expect((error as Error).message).toBe(`axios-token-flight: token endpoint http://127.0.0.1:${port}/oauth/token could not be reached`);
      expect(((error as RefreshFailedError).cause as { code?: string } | undefined)?.code).toBe('ECONNRESET');
    } finally {
      nock.disableNetConnect();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('asks for re-authorisation without calling the endpoint when no refresh token is stored', async () => {
    const scope = nock(TOKEN_HOST).post('/oauth/token').reply(200, { access_token: 'x' });
    await expect(oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c' })(context(null))).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(scope.isDone()).toBe(false);
  });

  it('uses the given httpClient, never the global axios interceptors', async () => {
    const client = axios.create();
    let used = 0;
    client.interceptors.request.use((config) => ((used += 1), config));
    nock(TOKEN_HOST).post('/oauth/token').reply(200, { access_token: 'x' });
    await oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', httpClient: client })(context());
    expect(used).toBe(1);
  });

  it.each([
    [{ tokenUrl: 'not a url', clientId: 'c' }, /`tokenUrl` must be an absolute http\(s\) URL/],
    [{ tokenUrl, clientId: '' }, /`clientId` must be a non-empty string/],
    [{ tokenUrl, clientId: 'c', authMethod: 'client_secret_jwt', clientSecret: 's' }, /`authMethod` must be/],
    [{ tokenUrl, clientId: 'c', authMethod: 'client_secret_post' }, /`clientSecret` must be set when authMethod/],
    [{ tokenUrl, clientId: 'c', extraParams: { n: 1 } }, /`extraParams` must be an object of string values/],
  ])('validates its options up front: %j', (options, message) => {
    expect(() => oauth2.refreshTokenGrant(options as never)).toThrow(TypeError);
    expect(() => oauth2.refreshTokenGrant(options as never)).toThrow(message);
  });
});

describe('oauth2.clientCredentialsGrant', () => {
  it('sends grant_type=client_credentials with audience and scope', async () => {
    let body = '';
    nock(TOKEN_HOST)
      .post('/oauth/token', (b: string) => ((body = b), true))
      .reply(200, { access_token: 'm2m', expires_in: 86400 });

    const token = await oauth2.clientCredentialsGrant({
      tokenUrl,
      clientId: 'c',
      clientSecret: 's',
      audience: 'https://api',
      scope: 'read',
    })(context(null));

    expect(token).toEqual({ accessToken: 'm2m', expiresIn: 86400, extra: {} });
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'client_credentials',
      audience: 'https://api',
      scope: 'read',
    });
  });

  it('requires a client secret', () => {
    expect(() => oauth2.clientCredentialsGrant({ tokenUrl, clientId: 'c' } as never)).toThrow(/`clientSecret` must be a non-empty string/);
  });
});

// At the edges: every option check, every status class, and every field of a token response the
// plugin reads, each asserted on what the caller sees (written against a mutation run's survivors).

/** Replies once with `reply` and returns what the endpoint received. */
function endpoint(
  status: number,
  reply: unknown,
  headers: Record<string, string> = {},
): { body: () => Record<string, string>; headers: () => Record<string, unknown> } {
  let body = '';
  let received: Record<string, unknown> = {};
  nock(TOKEN_HOST)
    .post('/oauth/token', (b: string) => ((body = b), true))
    .reply(function respond() {
      received = { ...this.req.headers };
      return [status, reply as never, headers];
    });
  return { body: () => Object.fromEntries(new URLSearchParams(body)), headers: () => received };
}

async function failure(run: Promise<unknown>): Promise<Error> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the grant to fail');
  return error;
}

const refreshGrant = (extra: Record<string, unknown> = {}): ((c: RefreshContext) => Promise<unknown>) =>
  oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', clientSecret: 's', ...extra });

beforeAll(() => {
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
});
afterEach(() => {
  nock.abortPendingRequests(); // the aborted-refresh test leaves a delayed reply's timer
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  // Un-patch Node's http: runners that reuse one process for many files (Stryker) would otherwise
  // send every later suite's real requests through nock.
  nock.restore();
});

describe('option checks name the option and what it must be', () => {
  it.each([
    ['options null', null, /oauth2\.refreshTokenGrant: option `options` must be an object, got null/],
    ['options a string', 'https://auth', /option `options` must be an object, got a string/],
    ['an unknown option', { tokenUrl, clientId: 'c', clientSecrett: 's' }, /clientSecrett/],
    ['tokenUrl not a string', { tokenUrl: 5, clientId: 'c' }, /`tokenUrl` must be an absolute http\(s\) URL/],
    ['clientId not a string', { tokenUrl, clientId: 7 }, /`clientId` must be a non-empty string/],
    ['an empty clientSecret', { tokenUrl, clientId: 'c', clientSecret: '' }, /`clientSecret` must be a non-empty string/],
    ['a numeric clientSecret', { tokenUrl, clientId: 'c', clientSecret: 5 }, /`clientSecret` must be a non-empty string/],
    ['scope not a string', { tokenUrl, clientId: 'c', scope: ['a'] }, /`scope` must be a string/],
    ['extraParams null', { tokenUrl, clientId: 'c', extraParams: null }, /`extraParams` must be an object of string values/],
    ['extraParams a string', { tokenUrl, clientId: 'c', extraParams: 'a=b' }, /`extraParams` must be an object of string values/],
    ['httpClient without request()', { tokenUrl, clientId: 'c', httpClient: {} }, /`httpClient` must be an axios instance/],
    ['httpClient null', { tokenUrl, clientId: 'c', httpClient: null }, /`httpClient` must be an axios instance/],
    ['maxResponseBytes 0', { tokenUrl, clientId: 'c', maxResponseBytes: 0 }, /`maxResponseBytes` must be a positive integer/],
    ['maxResponseBytes 1.5', { tokenUrl, clientId: 'c', maxResponseBytes: 1.5 }, /`maxResponseBytes` must be a positive integer/],
    ['maxResponseBytes a string', { tokenUrl, clientId: 'c', maxResponseBytes: '1000' }, /`maxResponseBytes` must be a positive integer/],
  ])('refreshTokenGrant: %s', (_name, options, message) => {
    expect(() => oauth2.refreshTokenGrant(options as never)).toThrow(TypeError);
    expect(() => oauth2.refreshTokenGrant(options as never)).toThrow(message);
  });

  it('accepts the smallest legal maxResponseBytes and an authMethod of client_secret_basic', () => {
    expect(() =>
      oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', clientSecret: 's', authMethod: 'client_secret_basic', maxResponseBytes: 1 }),
    ).not.toThrow();
  });

  it.each([
    ['an empty audience', '', /oauth2\.clientCredentialsGrant: option `audience` must be a non-empty string/],
    ['a numeric audience', 5, /option `audience` must be a non-empty string/],
  ])('clientCredentialsGrant: %s', (_name, audience, message) => {
    const make = (): unknown => oauth2.clientCredentialsGrant({ tokenUrl, clientId: 'c', clientSecret: 's', audience } as never);
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it('each helper names itself when its options are wrong, whichever check fails', () => {
    expect(() => oauth2.clientCredentialsGrant({ tokenUrl, clientId: 'c', clientSecret: '' })).toThrow(
      /^axios-token-flight: oauth2\.clientCredentialsGrant: /,
    );
    expect(() => oauth2.clientCredentialsGrant(null as never)).toThrow(
      /^axios-token-flight: oauth2\.clientCredentialsGrant: option `options`/,
    );
    expect(() => oauth2.refreshTokenGrant({ tokenUrl, clientId: '' })).toThrow(
      /^axios-token-flight: oauth2\.refreshTokenGrant: option `clientId`/,
    );
    expect(() =>
      oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', clientSecret: 's', authMethod: 'client_secret_jwt' as never }),
    ).toThrow(
      "axios-token-flight: oauth2.refreshTokenGrant: option `authMethod` must be 'client_secret_basic', 'client_secret_post' or 'private_key_jwt', got a string",
    );
  });

  it('an option that throws while being read is a TypeError naming it and the helper', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no');
        },
      },
    );
    expect(() => oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', extraParams: hostile })).toThrow(
      'axios-token-flight: oauth2.refreshTokenGrant: option `extraParams` could not be read (Error thrown while reading it)',
    );
    const client = new Proxy(
      {},
      {
        get: () => {
          throw new RangeError('no');
        },
      },
    );
    expect(() => oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', httpClient: client as never })).toThrow(
      'axios-token-flight: oauth2.refreshTokenGrant: option `httpClient` could not be read (RangeError thrown while reading it)',
    );
  });

  it('extraParams with one non-string value among strings is refused', () => {
    expect(() => oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', extraParams: { ok: 'x', n: 1 } as never })).toThrow(
      /`extraParams` must be an object of string values/,
    );
  });
});

describe('what the endpoint receives', () => {
  it('clientCredentialsGrant without an audience sends only the grant type, with Basic credentials and JSON accepted', async () => {
    const seen = endpoint(200, { access_token: 'm2m' });
    await oauth2.clientCredentialsGrant({ tokenUrl, clientId: 'c', clientSecret: 's' })(context(null));
    expect(seen.body()).toEqual({ grant_type: 'client_credentials' });
    expect(seen.headers()).toMatchObject({
      authorization: `Basic ${Buffer.from('c:s').toString('base64')}`,
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    });
  });

  it('clientCredentialsGrant with client_secret_post sends the secret in the body and no Authorization header', async () => {
    const seen = endpoint(200, { access_token: 'm2m' });
    await oauth2.clientCredentialsGrant({ tokenUrl, clientId: 'c', clientSecret: 's', authMethod: 'client_secret_post' })(context(null));
    expect(seen.body()).toEqual({ grant_type: 'client_credentials', client_id: 'c', client_secret: 's' });
    expect(seen.headers()['authorization']).toBeUndefined();
  });

  it('a public client sends no Authorization header', async () => {
    const seen = endpoint(200, { access_token: 'x' });
    await oauth2.refreshTokenGrant({ tokenUrl, clientId: 'spa' })(context());
    expect(seen.headers()['authorization']).toBeUndefined();
  });

  it('grant fields win over extraParams of the same name', async () => {
    const seen = endpoint(200, { access_token: 'x' });
    await refreshGrant({ extraParams: { grant_type: 'password', refresh_token: 'planted' } })(context());
    expect(seen.body()).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'stored-refresh' });
  });

  it('a stored token set without a refresh token asks for re-authorisation, naming the key and the way out', async () => {
    const scope = nock(TOKEN_HOST).post('/oauth/token').reply(200, { access_token: 'x' });
    const error = await failure(refreshGrant()(context({ accessToken: 'a', version: 1, issuedAt: 0 })));
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect((error as ReauthorizationRequiredError).key).toBe('acct-1');
    expect(error.message).toBe(
      'axios-token-flight: no refresh token is stored for "acct-1"; seed one with handle.setToken() after the user authorises',
    );
    expect(scope.isDone()).toBe(false);
  });
});

describe('what the endpoint answers', () => {
  it('a 3xx without a Location header is a redirect error that names no target', async () => {
    endpoint(302, '');
    const error = await failure(refreshGrant()(context()));
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error.message).toContain(`token endpoint ${tokenUrl} answered with a redirect (302); redirects are not followed`);
    expect((error as RefreshFailedError).key).toBe('acct-1');
  });

  it.each([300, 399])('status %i is a redirect', async (status) => {
    endpoint(status, { access_token: 'x' }, { location: '/elsewhere?code=secret' });
    const error = await failure(refreshGrant()(context()));
    expect(error.message).toContain(`answered with a redirect (${status}) to ${TOKEN_HOST}/elsewhere;`);
    expect(error.message).not.toContain('secret');
  });

  it.each([201, 299])('status %i with a token is a success', async (status) => {
    endpoint(status, { access_token: 'x' });
    await expect(refreshGrant()(context())).resolves.toMatchObject({ accessToken: 'x' });
  });

  it('status 199 is a failure, even with a token in the body', () => {
    // nock cannot send a 1xx final status; parse the answer the way requestToken does.
    expect(() => parseTokenResponse(199, '{"access_token":"x"}', 'acct-1', tokenUrl)).toThrow(RefreshFailedError);
  });

  it('a bare 401 means re-authorise', async () => {
    endpoint(401, '');
    await expect(refreshGrant()(context())).rejects.toBeInstanceOf(ReauthorizationRequiredError);
  });

  it('a redirect to a Location that does not parse says so instead of quoting it', async () => {
    endpoint(302, '', { location: 'http://[bad' });
    const error = await failure(refreshGrant()(context()));
    expect(error.message).toContain('answered with a redirect (302) to (an unparseable URL);');
  });

  it('an httpClient whose own interceptor leaves no body: reported as an empty answer', async () => {
    const client = axios.create();
    client.interceptors.response.use((response) => ({ ...response, data: undefined }));
    endpoint(200, { access_token: 'x' });
    const error = await failure(oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', httpClient: client })(context()));
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error.message).toMatch(/not a JSON object \(empty\)/);
  });

  it('an ERR_BAD_RESPONSE that is not about size is "could not be reached", not "too large"', async () => {
    const client = axios.create({
      adapter: async (config) => {
        throw new AxiosError('stream has been aborted', 'ERR_BAD_RESPONSE', config);
      },
    });
    const error = await failure(refreshGrant({ httpClient: client })(context()));
    expect(error.message).toBe(`axios-token-flight: token endpoint ${tokenUrl} could not be reached`);
  });

  it('the token request is never given a token by a plugin attached to the httpClient', async () => {
    const client = axios.create({ baseURL: TOKEN_HOST });
    const handle = attachTokenRefresh(client, { refresh: async () => ({ accessToken: 'at_plugin' }) });
    try {
      await handle.setToken({ accessToken: 'at_api-token-of-the-plugin', expiresIn: 3600 });
      const seen = endpoint(200, { access_token: 'x' });
      await refreshGrant({ httpClient: client })(context());
      expect(seen.headers()['authorization']).toBe(`Basic ${Buffer.from('c:s').toString('base64')}`);
    } finally {
      handle.detach();
    }
  });

  it('unauthorized_client means re-authorise, even on a 400', async () => {
    endpoint(400, { error: 'unauthorized_client' });
    const error = await failure(refreshGrant()(context()));
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect(error.message).toBe(
      `axios-token-flight: token endpoint ${tokenUrl} answered 400 unauthorized_client; the user must authorise again`,
    );
  });

  it('a 5xx error message is exact: status, code and description, nothing else', async () => {
    endpoint(503, { error: 'temporarily_unavailable', error_description: 'try later' });
    const error = await failure(refreshGrant()(context()));
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error.message).toBe(`axios-token-flight: token endpoint ${tokenUrl} answered 503 temporarily_unavailable: try later`);
    expect((error as RefreshFailedError).key).toBe('acct-1');
  });

  it('a non-string error code or description is left out of the message', async () => {
    endpoint(500, { error: 42, error_description: { nested: true } });
    const error = await failure(refreshGrant()(context()));
    expect(error.message).toBe(`axios-token-flight: token endpoint ${tokenUrl} answered 500`);
  });

  it('a long description is cut at 200 characters, a long error code at 64, and control characters become spaces', async () => {
    endpoint(400, { error: `e${'x'.repeat(100)}`, error_description: `line one\r\nline\u0007two ${'d'.repeat(300)}` });
    const error = await failure(refreshGrant()(context()));
    const quotedCode = `e${'x'.repeat(63)}…`;
    const quotedDescription = `${`line one line two ${'d'.repeat(300)}`.slice(0, 200)}…`;
    expect(error.message).toBe(`axios-token-flight: token endpoint ${tokenUrl} answered 400 ${quotedCode}: ${quotedDescription}`);
  });

  it('a description of exactly 200 characters is quoted whole', async () => {
    const description = 'd'.repeat(200);
    endpoint(400, { error: 'invalid_request', error_description: description });
    const error = await failure(refreshGrant()(context()));
    expect(error.message.endsWith(`: ${description}`)).toBe(true);
  });

  it('Retry-After in seconds on a 429 becomes retryAfterMs', async () => {
    endpoint(429, { error: 'slow_down' }, { 'retry-after': ' 7 ' });
    const error = await failure(refreshGrant()(context()));
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as RefreshFailedError).retryAfterMs).toBe(7_000);
  });

  it('a 503 without Retry-After has no retryAfterMs', async () => {
    endpoint(503, 'down');
    const error = await failure(refreshGrant()(context()));
    expect((error as RefreshFailedError).retryAfterMs).toBeUndefined();
  });

  it('the refresh token echoed in a 500 description is scrubbed even for a public client', async () => {
    endpoint(500, { error: 'server_error', error_description: 'cannot use stored-refresh now' });
    const error = await failure(oauth2.refreshTokenGrant({ tokenUrl, clientId: 'spa' })(context()));
    expect(error.message).not.toContain('stored-refresh');
    expect(error.message).toContain('cannot use [REDACTED] now');
  });

  it('an aborted refresh rejects with the abort reason, not a network error', async () => {
    nock(TOKEN_HOST).post('/oauth/token').delay(5_000).reply(200, { access_token: 'late' });
    const controller = new AbortController();
    const reason = new Error('refresh timed out');
    const pending = refreshGrant()(context(undefined, controller.signal));
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('token response fields', () => {
  it.each([
    [
      'expires_in null and refresh_token null are "not given"',
      { access_token: 'x', expires_in: null, refresh_token: null },
      { accessToken: 'x', extra: {} },
    ],
    [
      'a non-string token_type and scope are dropped, kept in extra',
      { access_token: 'x', token_type: 1, scope: 2 },
      { accessToken: 'x', extra: { scope: 2 } },
    ],
    [
      'token_type is not an extra field',
      { access_token: 'x', token_type: 'Bearer', id_token: 'j' },
      { accessToken: 'x', tokenType: 'Bearer', extra: { id_token: 'j' } },
    ],
    ['a fractional expires_in is kept', { access_token: 'x', expires_in: 0.5 }, { accessToken: 'x', expiresIn: 0.5, extra: {} }],
  ])('%s', async (_name, reply, expected) => {
    endpoint(200, reply);
    await expect(refreshGrant()(context())).resolves.toEqual(expected);
  });

  it.each([
    ['an empty access_token', { access_token: '' }, /no access_token \(got an empty string\)/],
    ['expires_in 0', { access_token: 'x', expires_in: 0 }, /expires_in must be a positive number of seconds \(got 0\)/],
    ['expires_in "0"', { access_token: 'x', expires_in: '0' }, /expires_in must be a positive number of seconds \(got 0\)/],
    ['expires_in of spaces', { access_token: 'x', expires_in: '  ' }, /expires_in must be a positive number of seconds \(got a string\)/],
    ['expires_in true', { access_token: 'x', expires_in: true }, /expires_in must be a positive number of seconds \(got boolean\)/],
    [
      'an empty refresh_token',
      { access_token: 'x', refresh_token: '' },
      /refresh_token must be a non-empty string \(got an empty string\)/,
    ],
    ['JSON null', null, /not a JSON object \(unparseable\)/],
    ['a JSON number', '42', /not a JSON object \(unparseable\)/],
    ['a JSON string', '"at_x"', /not a JSON object \(unparseable\)/],
    ['whitespace only', '  \n', /not a JSON object \(empty\)/],
  ])('%s is malformed', async (_name, reply, message) => {
    endpoint(200, typeof reply === 'string' || reply === null ? String(reply) : reply);
    const error = await failure(refreshGrant()(context()));
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error.message).toMatch(new RegExp(`^axios-token-flight: token endpoint ${tokenUrl.replace(/\./g, '\\.')} answered with `));
    expect(error.message).toMatch(message);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['delay-seconds', '120', 120_000],
    ['zero', '0', 0],
    ['an HTTP date in the future', 'Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['an HTTP date in the past', 'Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['garbage', 'soon', undefined],
    ['a negative number', '-5', undefined],
    ['a number with a unit', '5 s', undefined],
    ['blank', '   ', undefined],
    ['delay-seconds with spaces around', ' 7 ', 7_000],
    ['a date not starting with the day name', '01 Jan 2026 00:00:30 GMT', undefined],
    ['a date starting with one letter', 'T 01 Jan 2026 00:00:30 GMT', undefined],
    ['absent', undefined, undefined],
    ['not a string', 120, undefined],
  ])('%s', (_name, header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});
