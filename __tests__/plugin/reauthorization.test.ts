import axios from 'axios';
import { attachTokenRefresh, isRetryableAuthError, oauth2, ReauthorizationRequiredError, type TokenRefreshHandle } from '../../lib';
import { startApi, type TestApi } from '../helpers/api-server';

let api: TestApi;
let tokenEndpoint: TestApi;
let handle: TokenRefreshHandle;

afterEach(async () => {
  handle.detach();
  await Promise.all([api.close(), tokenEndpoint.close()]);
});

async function setup() {
  api = await startApi((request) => (request.authorization === 'Bearer good-token' ? { body: { ok: true } } : { status: 401 }));
  tokenEndpoint = await startApi(async () => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Refresh token has been revoked' } };
  });
  const client = axios.create({ baseURL: api.url });
  handle = attachTokenRefresh(client, {
    refresh: oauth2.refreshTokenGrant({ tokenUrl: `${tokenEndpoint.url}/token`, clientId: 'c', clientSecret: 's' }),
  });
  await handle.setToken({ accessToken: 'revoked-token', refreshToken: 'revoked-refresh', expiresIn: 3600 });
  return client;
}

describe('invalid_grant', () => {
  it('fails 20 concurrent requests with ReauthorizationRequiredError after one call to the token endpoint', async () => {
    const client = await setup();

    const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.get('/x')));

    const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : r.value));
    for (const reason of reasons) expect(reason).toBeInstanceOf(ReauthorizationRequiredError);
    expect(isRetryableAuthError(reasons[0])).toBe(false);
    expect((reasons[0] as Error).message).toMatch(/invalid_grant: Refresh token has been revoked/);
    expect(tokenEndpoint.requests).toHaveLength(1);
    expect(api.requests).toHaveLength(20); // none replayed
  });

  it('remembers the answer briefly: a second burst does not call the token endpoint again, until setToken', async () => {
    const client = await setup();
    await client.get('/first').catch(() => undefined);

    const second = await Promise.allSettled(Array.from({ length: 10 }, () => client.get('/again')));

    expect(second.every((r) => r.status === 'rejected' && r.reason instanceof ReauthorizationRequiredError)).toBe(true);
    expect(tokenEndpoint.requests).toHaveLength(1);

    // The customer reconnects: the new credential works at once.
    await handle.setToken({ accessToken: 'good-token', refreshToken: 'new-refresh', expiresIn: 3600 });
    await expect(client.get('/after-reconnect')).resolves.toMatchObject({ status: 200 });
  });
});
