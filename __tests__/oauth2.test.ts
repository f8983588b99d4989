import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import nock from 'nock';
import { oauth2, ReauthorizationRequiredError, RefreshFailedError, type RefreshContext, type TokenSet } from '../lib';

const TOKEN_HOST = 'https://auth.example.com';
const tokenUrl = `${TOKEN_HOST}/oauth/token`;

function context(current: Partial<TokenSet> | null = { accessToken: 'a', refreshToken: 'stored-refresh', version: 1, issuedAt: 0 }): RefreshContext {
  return { key: 'acct-1', current: current as TokenSet | null, reason: 'rejected', signal: new AbortController().signal };
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
      .reply(200, { access_token: 'new-access', refresh_token: 'rotated-refresh', expires_in: 3600, token_type: 'bearer', scope: 'r_ads', instance_url: 'https://acme.my.salesforce.com' });

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
      tokenUrl, clientId: 'cid', clientSecret: 'sec', authMethod: 'client_secret_post', scope: 'a b', extraParams: { resource: 'https://graph' },
    })(context());

    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'refresh_token', refresh_token: 'stored-refresh', client_id: 'cid', client_secret: 'sec', scope: 'a b', resource: 'https://graph',
    });
    expect(token).toEqual({ accessToken: 'x', expiresIn: 3599, extra: {} }); // string expires_in accepted; no refresh_token → none returned
  });

  it('public clients send only client_id', async () => {
    let body = '';
    nock(TOKEN_HOST).post('/oauth/token', (b: string) => ((body = b), true)).reply(200, { access_token: 'x' });
    await oauth2.refreshTokenGrant({ tokenUrl, clientId: 'spa' })(context());
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({ grant_type: 'refresh_token', refresh_token: 'stored-refresh', client_id: 'spa' });
  });

  it.each([
    [400, { error: 'invalid_grant', error_description: 'Refresh token revoked' }, ReauthorizationRequiredError, /400 invalid_grant: Refresh token revoked/],
    [401, { error: 'invalid_client' }, ReauthorizationRequiredError, /401 invalid_client/],
    [403, 'Forbidden', ReauthorizationRequiredError, /403/],
    [400, { error: 'invalid_request' }, RefreshFailedError, /400 invalid_request/],
    [503, '<html>down</html>', RefreshFailedError, /503/],
    [429, { error: 'slow_down' }, RefreshFailedError, /429/],
  ])('maps HTTP %i %j to the right typed error', async (status, reply, type, message) => {
    nock(TOKEN_HOST).post('/oauth/token').reply(status, reply as never);
    const error = await oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', clientSecret: 's' })(context()).catch((e: unknown) => e);
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
    nock(TOKEN_HOST).post('/oauth/token').reply(200, reply as never);
    const error = await oauth2.refreshTokenGrant({ tokenUrl, clientId: 'c', clientSecret: 's' })(context()).catch((e: unknown) => e);
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
    [{ tokenUrl, clientId: 'c', authMethod: 'private_key_jwt', clientSecret: 's' }, /`authMethod` must be/],
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
    nock(TOKEN_HOST).post('/oauth/token', (b: string) => ((body = b), true)).reply(200, { access_token: 'm2m', expires_in: 86400 });

    const token = await oauth2.clientCredentialsGrant({ tokenUrl, clientId: 'c', clientSecret: 's', audience: 'https://api', scope: 'read' })(context(null));

    expect(token).toEqual({ accessToken: 'm2m', expiresIn: 86400, extra: {} });
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({ grant_type: 'client_credentials', audience: 'https://api', scope: 'read' });
  });

  it('requires a client secret', () => {
    expect(() => oauth2.clientCredentialsGrant({ tokenUrl, clientId: 'c' } as never)).toThrow(/`clientSecret` must be a non-empty string/);
  });
});
