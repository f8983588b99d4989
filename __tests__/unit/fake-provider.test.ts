import axios, { type AxiosInstance } from 'axios';
import { startFakeProvider, type FakeProvider } from '../../lib/testing';

let provider: FakeProvider;
let http: AxiosInstance;

beforeEach(async () => {
  provider = await startFakeProvider();
  http = axios.create({ validateStatus: () => true });
});
afterEach(() => provider.close());

const grant = (refreshToken: string) =>
  http.post(
    provider.tokenUrl,
    new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'c', client_secret: 'shh' }).toString(),
  );
const call = (path: string, token: string) => http.get(`${provider.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });

describe('startFakeProvider()', () => {
  it('rotates refresh tokens: each works once and the answer carries a new one', async () => {
    const { refreshToken } = provider.authorize();

    const first = await grant(refreshToken);
    expect(first.status).toBe(200);
    expect(first.data).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(first.data.refresh_token).not.toBe(refreshToken);
    expect((await call('/me', first.data.access_token)).status).toBe(200);
    expect(provider.stats.refreshes).toBe(1);
  });

  it('treats a second use of a rotated refresh token as theft and revokes the whole family', async () => {
    const { refreshToken, accessToken } = provider.authorize();
    const rotated = (await grant(refreshToken)).data as { access_token: string; refresh_token: string };

    const reuse = await grant(refreshToken);

    expect(reuse.status).toBe(400);
    expect(reuse.data.error).toBe('invalid_grant');
    expect(provider.stats.reuseDetections).toBe(1);
    expect((await call('/me', rotated.access_token)).status).toBe(401);
    expect((await call('/me', accessToken)).status).toBe(401);
    expect((await grant(rotated.refresh_token)).status).toBe(400); // the live one died with the family
  });

  it('keeps refresh tokens when rotation is off', async () => {
    provider.setBehaviour({ rotateRefreshTokens: false });
    const { refreshToken } = provider.authorize();
    expect((await grant(refreshToken)).data.refresh_token).toBe(refreshToken);
    expect((await grant(refreshToken)).status).toBe(200);
    expect(provider.stats.reuseDetections).toBe(0);
  });

  it('answers LinkedIn-style: 65601 while a new token propagates, 65602 once expired', async () => {
    provider.setBehaviour({ propagationMs: 150, accessTokenTtlSeconds: 0.4 });
    const { accessToken } = provider.authorize();

    const early = await call('/linkedin/rest/me', accessToken);
    expect([early.status, early.data.serviceErrorCode]).toEqual([401, 65601]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await call('/linkedin/rest/me', accessToken)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const late = await call('/linkedin/rest/me', accessToken);
    expect([late.status, late.data.serviceErrorCode]).toEqual([401, 65602]);
    expect(provider.stats.apiRequestsByOutcome).toEqual({ propagating: 1, ok: 1, expired: 1 });
  });

  it('answers Slack-style with HTTP 200 ok:false, and plain style with 401 + RFC 6750 challenge', async () => {
    const slack = await call('/slack/api/chat.postMessage', 'nonsense');
    expect([slack.status, slack.data]).toEqual([200, { ok: false, error: 'invalid_auth' }]);
    const plain = await call('/v1/things', 'nonsense');
    expect(plain.status).toBe(401);
    expect(plain.headers['www-authenticate']).toMatch(/Bearer error="invalid_token"/);
    expect(provider.stats.apiRequestsByStatus).toEqual({ 200: 1, 401: 1 });
  });

  it('issues client_credentials tokens', async () => {
    const response = await http.post(provider.tokenUrl, 'grant_type=client_credentials&client_id=c&client_secret=s&scope=read');
    expect(response.data).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect((await call('/x', response.data.access_token)).status).toBe(200);
    expect(provider.stats.tokenRequests).toEqual([{ grant_type: 'client_credentials', client_id: 'c', scope: 'read' }]); // no secret recorded
  });

  it.each([
    ['server-error', 503, { error: 'temporarily_unavailable' }],
    ['malformed', 200, '<html><body>Gateway says hello</body></html>'],
    ['invalid_grant', 400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or expired' }],
  ] as const)('injects the token endpoint fault %s for the given number of requests, then heals', async (fault, status, body) => {
    const { refreshToken } = provider.authorize();
    provider.setBehaviour({ tokenFault: fault, tokenFaultCount: 1 });

    const failed = await grant(refreshToken);
    expect([failed.status, failed.data]).toEqual([status, body]);
    expect((await grant(refreshToken)).status).toBe(200); // nothing was consumed by the fault
  });

  it('injects latency and timeouts', async () => {
    const { refreshToken } = provider.authorize();
    provider.setBehaviour({ tokenLatencyMs: 120 });
    const started = Date.now();
    await grant(refreshToken);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);

    provider.setBehaviour({ tokenLatencyMs: 0, tokenFault: 'timeout' });
    const timedOut = await axios.post(provider.tokenUrl, 'grant_type=refresh_token', { timeout: 200 }).catch((e: unknown) => e);
    expect(axios.isAxiosError(timedOut) && timedOut.code).toBe('ECONNABORTED');
  });
});

describe('apiScript', () => {
  it('answers the next requests as scripted, whatever the token, then normally', async () => {
    const { accessToken } = provider.authorize();
    provider.setBehaviour({ apiScript: ['server-error', 'reject', 'propagating', 'pass'] });

    const statuses = [];
    for (let i = 0; i < 5; i += 1) {
      const r = await call('/linkedin/x', accessToken);
      statuses.push(`${r.status}:${(r.data as { serviceErrorCode?: number }).serviceErrorCode ?? ''}`);
    }

    expect(statuses).toEqual(['503:', '401:65600', '401:65601', '200:', '200:']);
  });
});
