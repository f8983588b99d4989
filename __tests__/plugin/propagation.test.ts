import { matchers, TokenPropagationError, isRetryableAuthError } from '../../lib';
import type { Reply } from '../helpers/api-server';
import { closeAll, harness, seedRejected, sleep, type Harness } from '../helpers/setup';
import { bearer } from '../helpers/token-authority';

afterEach(closeAll);

const fastBackoff = { initial: 60, max: 200 };
const linkedinMatchers = [matchers.linkedin(), matchers.unauthorized()];

/**
 * LinkedIn-like API: an unknown token gets 401/65602 (expired); a token the authority issued
 * less than `propagationMs` ago gets 401/65601 (REVOKED_ACCESS_TOKEN) while it propagates.
 */
function linkedinApi(h: Harness, propagationMs: number): void {
  const issuedAt = new Map<string, number>();
  h.api.handle((request) => {
    const token = request.authorization?.replace(/^Bearer /, '') ?? '';
    if (!h.authority.accepted.has(token))
      return { status: 401, body: { serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', status: 401 } };
    if (!issuedAt.has(token)) issuedAt.set(token, Date.now());
    if (Date.now() - (issuedAt.get(token) as number) < propagationMs) {
      return { status: 401, body: { serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', status: 401 } } satisfies Reply;
    }
    return { body: { ok: true } };
  });
}

describe('propagation policy', () => {
  it('waits out a fresh token rejected with 65601 for 250 ms and replays the same token: 1 refresh in total', async () => {
    const h = await harness({ matchers: linkedinMatchers, propagation: { backoffMs: fastBackoff, maxWaits: 6 } });
    linkedinApi(h, 250);
    const stale = await seedRejected(h);

    const response = await h.client.get('/rest/posts');

    expect(response.status).toBe(200);
    expect(h.authority.refreshCount).toBe(1);
    const fresh = bearer([...h.authority.accepted][0] as string);
    const sent = h.api.requests.map((r) => r.authorization);
    expect(sent[0]).toBe(bearer(stale));
    expect(sent.slice(1).every((a) => a === fresh)).toBe(true); // never a second new token
    expect(h.handle.stats().propagationWaits).toBeGreaterThanOrEqual(1);
    expect(h.handle.stats().propagationWaits).toBe(sent.length - 2);
    expect(h.eventLog.some((e) => e.startsWith('propagation-wait'))).toBe(true);
  });

  it('throws a retryable TokenPropagationError with retryAfterMs once the waits are used up, without refreshing again', async () => {
    const h = await harness({ matchers: linkedinMatchers, propagation: { backoffMs: fastBackoff, maxWaits: 2 } });
    linkedinApi(h, 60_000);
    await seedRejected(h);

    const error = await h.client.get('/rest/posts').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TokenPropagationError);
    expect(isRetryableAuthError(error)).toBe(true);
    // Window 30 s, token a few ms old: an outer queue should come back in about 30 s.
    expect((error as TokenPropagationError).retryAfterMs).toBeGreaterThan(29_000);
    expect((error as TokenPropagationError).retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(h.authority.refreshCount).toBe(1);
    // 1 with the stale token, 1 after the refresh, 2 propagation waits.
    expect(h.api.requests).toHaveLength(4);
  });

  it('treats 65601 on a token older than propagation.windowMs as revoked, and refreshes', async () => {
    const h = await harness({ matchers: linkedinMatchers, propagation: { windowMs: 50, backoffMs: fastBackoff } });
    const old = h.authority.issue();
    await h.handle.setToken({ accessToken: old, refreshToken: 'r0', expiresIn: 3600 });
    h.api.handle((request) =>
      request.authorization === bearer(old) ? { status: 401, body: { serviceErrorCode: 65601 } } : h.authority.handler()(request),
    );
    await sleep(80);

    const response = await h.client.get('/rest/posts');

    expect(response.status).toBe(200);
    expect(h.authority.refreshCount).toBe(1);
    expect(h.handle.stats().propagationWaits).toBe(0);
    expect(h.api.requests).toHaveLength(2);
  });

  it('does not count propagation waits against maxReplays', async () => {
    const h = await harness({ matchers: linkedinMatchers, propagation: { backoffMs: fastBackoff, maxWaits: 8 }, maxReplays: 1 });
    linkedinApi(h, 300);
    await seedRejected(h);

    const response = await h.client.get('/rest/posts');

    expect(response.status).toBe(200);
    expect(h.handle.stats().replays).toBe(1);
    expect(h.handle.stats().propagationWaits).toBeGreaterThanOrEqual(2);
  });
});
