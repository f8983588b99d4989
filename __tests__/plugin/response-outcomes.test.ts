/**
 * What a caller observes when a response is rejected, exactly: the error, its message and cause,
 * the events with their payloads, the counters. Written against the survivors of a mutation run
 * over lib/interceptors: the behaviour tests elsewhere check the outcome, these pin its details.
 */
import axios, { AxiosError, CanceledError, type AxiosResponse } from 'axios';
import { Readable } from 'node:stream';
import {
  MatcherError,
  ReauthorizationRequiredError,
  RefreshFailedError,
  ReplayLimitError,
  TokenPropagationError,
  UnreplayableRequestError,
  type Matcher,
  type TokenFlightEvents,
} from '../../lib';
import { closeAll, harness, seedAccepted, seedRejected, sleep } from '../helpers/setup';

afterEach(closeAll);

function record(events: TokenFlightEvents, name: 'replay' | 'propagation-wait'): unknown[] {
  const seen: unknown[] = [];
  events.on(name, (payload: unknown) => seen.push(payload));
  return seen;
}

describe('a refresh verdict', () => {
  it('replays once with the new token: one replay event naming the rejected version and the method', async () => {
    const h = await harness();
    await seedRejected(h);
    const replays = record(h.handle.events, 'replay');

    const response = await h.client.post('/x', { a: 1 });

    expect(response.status).toBe(200);
    expect(replays).toEqual([{ key: 'default', attempt: 1, rejectedVersion: 1, method: 'POST' }]);
    expect(h.handle.stats()).toMatchObject({ replays: 1, failures: 0, propagationWaits: 0 });
  });

  it('the replay limit: an exact message, the last rejection as cause, one failure counted', async () => {
    const h = await harness({ maxReplays: 1 });
    h.api.handle(() => ({ status: 401, body: { message: 'nope' } }));
    await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReplayLimitError);
    expect((error as Error).message).toBe('axios-token-flight: token version 2 for "default" was rejected after 1 replays (maxReplays)');
    expect(((error as ReplayLimitError).cause as AxiosError).response?.status).toBe(401);
    expect(h.handle.stats()).toMatchObject({ replays: 1, failures: 1 });
  });
});

describe('a reauthorize verdict', () => {
  it('ends the request at once, naming the status, with the response as cause; nothing refreshed or replayed', async () => {
    const grantGone: Matcher = (response) => (response.status === 403 ? 'reauthorize' : undefined);
    const h = await harness({ matchers: [grantGone] });
    h.api.handle(() => ({ status: 403, body: { error: 'consent_revoked' } }));
    await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect((error as Error).message).toBe(
      'axios-token-flight: the API says the grant behind "default" is gone (HTTP 403); refreshing cannot help, the user must authorise again',
    );
    expect(((error as ReauthorizationRequiredError).cause as AxiosError).response?.status).toBe(403);
    expect(h.authority.refreshCount).toBe(0);
    expect(h.api.requests).toHaveLength(1);
    expect(h.handle.stats()).toMatchObject({ failures: 1, replays: 0 });
  });
});

describe('a propagation verdict', () => {
  it('one wait, then TokenPropagationError: event payload, exact message, retryAfterMs = the rest of the window', async () => {
    const notYet: Matcher = (response) => (response.status === 401 ? 'propagation' : undefined);
    const h = await harness({ matchers: [notYet], propagation: { maxWaits: 1, windowMs: 5_000, backoffMs: { initial: 40, max: 40 } } });
    h.api.handle(() => ({ status: 401, body: {} }));
    await seedAccepted(h);
    const waits = record(h.handle.events, 'propagation-wait');

    const started = Date.now();
    const error = await h.client.get('/x').catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(waits).toHaveLength(1);
    expect(waits[0]).toEqual({ key: 'default', version: 1, attempt: 1, delayMs: expect.any(Number), tokenAgeMs: expect.any(Number) });
    const { delayMs, tokenAgeMs } = waits[0] as { delayMs: number; tokenAgeMs: number };
    expect(delayMs).toBeGreaterThanOrEqual(32); // 40 ms ± 20 % jitter
    expect(delayMs).toBeLessThanOrEqual(48);
    expect(tokenAgeMs).toBeGreaterThanOrEqual(0);
    expect(tokenAgeMs).toBeLessThan(elapsed + 1_000);
    expect(error).toBeInstanceOf(TokenPropagationError);
    expect((error as Error).message).toBe(
      'axios-token-flight: token version 1 for "default" was still not accepted after 1 propagation waits',
    );
    const retryAfterMs = (error as TokenPropagationError).retryAfterMs as number;
    expect(retryAfterMs).toBeGreaterThan(5_000 - elapsed - 1_000);
    expect(retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(h.api.requests).toHaveLength(2);
    expect(h.authority.refreshCount).toBe(0);
    expect(h.handle.stats()).toMatchObject({ propagationWaits: 1, failures: 1, replays: 0 });
  });

  it('retryAfterMs is the next backoff delay when that is longer than what is left of the window', async () => {
    const notYet: Matcher = (response) => (response.status === 401 ? 'propagation' : undefined);
    const h = await harness({
      matchers: [notYet],
      propagation: { maxWaits: 0, windowMs: 2_000, backoffMs: { initial: 60_000, max: 60_000 } },
    });
    h.api.handle(() => ({ status: 401, body: {} }));
    await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TokenPropagationError);
    expect((error as Error).message).toMatch(/after 0 propagation waits$/);
    // The next delay is 60 s ± 20 %; the window has less than 2 s left.
    expect((error as TokenPropagationError).retryAfterMs).toBeGreaterThanOrEqual(48_000);
    expect((error as TokenPropagationError).retryAfterMs).toBeLessThanOrEqual(72_000);
  });

  it('on a stream body: no wait, no refresh, UnreplayableRequestError', async () => {
    const notYet: Matcher = (response) => (response.status === 401 ? 'propagation' : undefined);
    const h = await harness({ matchers: [notYet] });
    h.api.handle(() => ({ status: 401, body: {} }));
    await seedAccepted(h);

    const error = await h.client.post('/upload', Readable.from(['chunk'])).catch((e: unknown) => e);
    await sleep(50); // a refresh started in the background would have reached the authority by now

    expect(error).toBeInstanceOf(UnreplayableRequestError);
    expect(h.authority.refreshCount).toBe(0);
    expect(h.handle.stats()).toMatchObject({ propagationWaits: 0, failures: 1 });
  });
});

describe('matchers', () => {
  it('an answer that is not a verdict is a MatcherError naming the matcher (since 1.0; it used to be ignored)', async () => {
    const confused = function confused(): string {
      return 'retry';
    } as unknown as Matcher;
    const h = await harness({ matchers: [confused, (response: AxiosResponse) => (response.status === 401 ? 'refresh' : undefined)] });
    await seedRejected(h);

    const error = await h.client.get('/x').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MatcherError);
    expect((error as Error).message).toMatch(/matcher #0 \(confused\) returned a string for a 401 response/);
    expect(h.authority.refreshCount).toBe(0);
  });

  it('a throwing anonymous matcher is named by its position, with the status it was classifying', async () => {
    const matchers: Matcher[] = [
      () => undefined,
      () => {
        throw new Error('boom');
      },
    ];
    const h = await harness({ matchers });
    await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MatcherError);
    expect((error as Error).message).toBe('axios-token-flight: matcher #1 (anonymous) threw while classifying a 200 response');
    expect(((error as MatcherError).cause as Error).message).toBe('boom');
    expect((error as MatcherError).key).toBe('default');
    expect(h.handle.stats().failures).toBe(1);
  });
});

describe('responses that are not ours', () => {
  it('a request sent without our token gets its 401 back untouched: same AxiosError, header kept, nothing refreshed', async () => {
    const h = await harness();
    await seedAccepted(h);

    const error = await h.client
      .get('/x', { tokenFlight: { skip: true }, headers: { Authorization: 'Basic dXNlcjpwdw==' } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
    expect((error as AxiosError).config?.headers['Authorization']).toBe('Basic dXNlcjpwdw==');
    expect(h.authority.refreshCount).toBe(0);
    expect(h.handle.stats().failures).toBe(0);
  });

  it('a non-auth error of our request is redacted but stays the AxiosError, and is not counted as a plugin failure', async () => {
    const h = await harness();
    h.api.handle(() => ({ status: 500, body: {} }));
    const token = await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(500);
    expect((error as AxiosError).config?.headers['Authorization']).toBe('[REDACTED]');
    expect(JSON.stringify(error)).not.toContain(token);
    expect(h.handle.stats().failures).toBe(0);
  });

  it("a caller's abort while waiting for a refresh is not counted as a plugin failure", async () => {
    const h = await harness({}, { latencyMs: 300 });
    await seedRejected(h);
    const controller = new AbortController();

    const pending = h.client.get('/x', { signal: controller.signal }).catch((e: unknown) => e);
    await sleep(100);
    controller.abort();

    expect(axios.isCancel(await pending)).toBe(true);
    expect(h.handle.stats().failures).toBe(0);
  });

  it("a CanceledError thrown by the user's own token call is a RefreshFailedError, not the caller's cancel", async () => {
    const cancelled = new CanceledError('token call aborted');
    const h = await harness({ refresh: () => Promise.reject(cancelled) });
    await seedRejected(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(axios.isCancel(error)).toBe(false);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as RefreshFailedError).message).toBe('axios-token-flight: refresh() threw (CanceledError); see `cause`');
    expect((error as RefreshFailedError).cause).toBe(cancelled);
  });
});
