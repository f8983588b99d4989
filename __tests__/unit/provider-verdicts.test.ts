import { matchers, ReauthorizationRequiredError, type Matcher } from '../../lib';
import { closeAll, harness, seedRejected } from '../helpers/setup';

afterEach(closeAll);

/** The API rejects the stale token with `rejection` and accepts tokens the authority issued. */
async function providerHarness(
  providerMatchers: Matcher[],
  rejection: { status: number; body: unknown; headers?: Record<string, string> },
) {
  const h = await harness({ matchers: providerMatchers });
  h.api.handle((request) => {
    const token = request.authorization?.slice('Bearer '.length) ?? '';
    return h.authority.accepted.has(token) ? { body: { ok: true, data: 'fresh' } } : rejection;
  });
  await seedRejected(h);
  return h;
}

describe('provider verdicts end to end, through a real axios instance', () => {
  it('Slack: HTTP 200 ok:false invalid_auth is refreshed and replayed', async () => {
    const h = await providerHarness([matchers.slack()], { status: 200, body: { ok: false, error: 'invalid_auth' } });

    const response = await h.client.post('/api/chat.postMessage', { channel: 'C1', text: 'hi' });

    expect(response.data).toEqual({ ok: true, data: 'fresh' });
    expect(h.authority.refreshCount).toBe(1);
    expect(h.api.requests).toHaveLength(2);
  });

  it.each([
    [
      'Meta: HTTP 400 OAuthException 190',
      [matchers.meta(), matchers.unauthorized()],
      {
        status: 400,
        body: {
          error: { message: 'Error validating access token: Session has expired', type: 'OAuthException', code: 190, error_subcode: 463 },
        },
      },
      '/v21.0/me/accounts',
    ],
    [
      'Salesforce: 401 with a JSON array body',
      [matchers.salesforce(), matchers.unauthorized()],
      { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] },
      '/services/data/v62.0/sobjects/Account',
    ],
  ] as const)('%s is refreshed and replayed', async (_name, providerMatchers, rejection, path) => {
    const h = await providerHarness([...providerMatchers], rejection);

    const response = await h.client.get(path);

    expect(response.status).toBe(200);
    expect(h.authority.refreshCount).toBe(1);
    expect(h.api.requests).toHaveLength(2);
  });

  it('Meta 460 (password changed): ReauthorizationRequiredError at once, no refresh, no replay', async () => {
    const h = await providerHarness([matchers.meta(), matchers.unauthorized()], {
      status: 400,
      body: {
        error: {
          message: 'The session has been invalidated because the user changed their password.',
          type: 'OAuthException',
          code: 190,
          error_subcode: 460,
        },
      },
    });

    const error = await h.client.get('/v21.0/me').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect((error as Error).message).toMatch(/HTTP 400.*must authorise again/);
    expect(h.authority.refreshCount).toBe(0);
    expect(h.api.requests).toHaveLength(1);
  });

  it('Microsoft Graph claims challenge: stops before unauthorized() would refresh', async () => {
    const h = await providerHarness([matchers.microsoftGraph(), matchers.unauthorized()], {
      status: 401,
      body: { error: { code: 'InvalidAuthenticationToken', message: 'Continuous access evaluation resulted in challenge' } },
      headers: {
        'www-authenticate':
          'Bearer authorization_uri="https://login.windows.net/common/oauth2/authorize", error="insufficient_claims", claims="e30="',
      },
    });

    await expect(h.client.get('/v1.0/me')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(h.authority.refreshCount).toBe(0);
  });

  it('Slack token_revoked (HTTP 200) fails typed instead of resolving with ok:false', async () => {
    const h = await providerHarness([matchers.slack()], { status: 200, body: { ok: false, error: 'token_revoked' } });

    await expect(h.client.post('/api/chat.postMessage', {})).rejects.toBeInstanceOf(ReauthorizationRequiredError);
  });
});
