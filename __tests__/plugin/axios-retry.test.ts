import axios, { type AxiosInstance } from 'axios';
import axiosRetry from 'axios-retry';
import { attachTokenRefresh, oauth2, RefreshFailedError, type TokenRefreshHandle } from '../../lib';
import { startApi, type TestApi } from '../helpers/api-server';
import { bearer, TokenAuthority } from '../helpers/token-authority';
import { Cleanups } from '../helpers/setup';

interface Setup {
  api: TestApi;
  tokenEndpoint: TestApi;
  authority: TokenAuthority;
  client: AxiosInstance;
  handle: TokenRefreshHandle;
}

const cleanups = new Cleanups();
afterEach(async () => {
  await cleanups.run();
});

/** A real token endpoint (oauth2.refreshTokenGrant) and an API, with axios-retry installed before or after the plugin. */
async function setup(order: 'retry-first' | 'plugin-first'): Promise<Setup> {
  const authority = new TokenAuthority();
  const api = await startApi(authority.handler());
  const tokenEndpoint = await startApi(() => {
    const token = authority.issue();
    return { body: { access_token: token, refresh_token: `rt-${token}`, expires_in: 3600 } };
  });
  const client = axios.create({ baseURL: api.url });
  const retry = () =>
    axiosRetry(client, { retries: 2, retryDelay: () => 10, retryCondition: axiosRetry.isNetworkOrIdempotentRequestError });
  if (order === 'retry-first') retry();
  const handle = attachTokenRefresh(client, {
    refresh: oauth2.refreshTokenGrant({ tokenUrl: `${tokenEndpoint.url}/oauth/token`, clientId: 'c', clientSecret: 's' }),
  });
  if (order === 'plugin-first') retry();
  await handle.setToken({ accessToken: 'stale-token', refreshToken: 'rt-0', expiresIn: 3600 });
  cleanups.push(async () => {
    handle.detach();
    await Promise.all([api.close(), tokenEndpoint.close()]);
  });
  return { api, tokenEndpoint, authority, client, handle };
}

describe.each(['retry-first', 'plugin-first'] as const)('with axios-retry installed %s', (order) => {
  it('axios-retry retries a 503 and the retry carries the current token', async () => {
    const s = await setup(order);
    await s.client.get('/warm'); // refresh once so the token is good
    let calls = 0;
    const accepted = s.authority.handler();
    s.api.handle((request) => (++calls === 1 ? { status: 503 } : accepted(request)));

    const response = await s.client.get('/flaky');

    expect(response.status).toBe(200);
    const flaky = s.api.requests.slice(-2);
    expect(flaky.map((r) => r.path)).toEqual(['/flaky', '/flaky']);
    expect(flaky[0]?.authorization).toBe(flaky[1]?.authorization);
    expect(flaky[1]?.authorization).not.toBe(bearer('[REDACTED]'));
  });

  it('the plugin replays a 401 after one refresh', async () => {
    const s = await setup(order);

    const response = await s.client.get('/x');

    expect(response.status).toBe(200);
    expect(s.tokenEndpoint.requests).toHaveLength(1);
    expect(s.api.requests.map((r) => r.authorization)).toEqual([bearer('stale-token'), bearer([...s.authority.accepted][0] as string)]);
  });

  it('a 401, then a 503 on the replay, then success: both mechanisms cooperate', async () => {
    const s = await setup(order);
    let afterRefresh = 0;
    const accepted = s.authority.handler();
    s.api.handle((request) => {
      const reply = accepted(request);
      if ((reply as { status?: number }).status === 401) return reply;
      return ++afterRefresh === 1 ? { status: 503 } : reply;
    });

    const response = await s.client.get('/x');

    expect(response.status).toBe(200);
    expect(s.tokenEndpoint.requests).toHaveLength(1);
    expect(s.api.requests).toHaveLength(3);
  });

  it('a failing token endpoint is not retried by axios-retry: one call, one RefreshFailedError', async () => {
    const s = await setup(order);
    s.tokenEndpoint.handle(() => ({ status: 503, body: 'down' }));

    const error = await s.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(s.tokenEndpoint.requests).toHaveLength(1);
    expect(s.api.requests).toHaveLength(1);
  });
});

describe('requests the plugin did not authorise', () => {
  it("leaves a third-party request's own Authorization intact, so axios-retry installed after the plugin retries it unchanged", async () => {
    const s = await setup('plugin-first');
    const thirdParty = await startApi();
    cleanups.push(() => thirdParty.close());
    let calls = 0;
    thirdParty.handle(() => (++calls === 1 ? { status: 503 } : { body: { ok: true } }));

    await s.client.get(`${thirdParty.url}/hook`, { headers: { Authorization: 'ApiKey third-party-key' } });

    expect(thirdParty.requests.map((r) => r.authorization)).toEqual(['ApiKey third-party-key', 'ApiKey third-party-key']);
  });
});
