/**
 * What a subscriber on `node:diagnostics_channel` sees, subscribed with Node's own API: one refresh
 * traced (start … asyncEnd, or error) in the async context of the request that caused it, the plain
 * channels carrying the events' payloads, and never a token — not even as the traced result.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, TOKEN_FLIGHT_EVENTS, type TokenInput } from '../../lib';
import { closeAll, harness, propagatingHarness, seedRejected, sleep } from '../helpers/setup';

afterEach(closeAll);

type Seen = Array<[string, Record<string, unknown>]>;

/** Subscribes to the refresh tracing channel; returns what it saw and how to stop. */
function traceRefreshes(): { seen: Seen; stop: () => void } {
  const seen: Seen = [];
  const record = (phase: string) => (message: unknown) => void seen.push([phase, { ...(message as Record<string, unknown>) }]);
  const handlers = {
    start: record('start'),
    end: record('end'),
    asyncStart: record('asyncStart'),
    asyncEnd: record('asyncEnd'),
    error: record('error'),
  };
  const channel = diagnosticsChannel.tracingChannel('axios-token-flight:refresh');
  channel.subscribe(handlers);
  return { seen, stop: () => channel.unsubscribe(handlers) };
}

function listen(name: string): { messages: Array<Record<string, unknown>>; stop: () => void } {
  const messages: Array<Record<string, unknown>> = [];
  const onMessage = (message: unknown): void => void messages.push(message as Record<string, unknown>);
  diagnosticsChannel.subscribe(`axios-token-flight:${name}`, onMessage);
  return { messages, stop: () => diagnosticsChannel.unsubscribe(`axios-token-flight:${name}`, onMessage) };
}

test('a refresh is traced once: start, then asyncEnd carrying the new version; no token anywhere on the messages', async () => {
  const h = await harness();
  const rejected = await seedRejected(h);
  const trace = traceRefreshes();
  try {
    await h.client.get('/me');
  } finally {
    trace.stop();
  }
  const phases = trace.seen.map(([phase]) => phase);
  expect(phases.filter((phase) => phase === 'start')).toHaveLength(1);
  expect(phases.filter((phase) => phase === 'asyncEnd')).toHaveLength(1);
  expect(phases).not.toContain('error');
  const end = trace.seen.find(([phase]) => phase === 'asyncEnd')?.[1];
  expect(end).toMatchObject({ key: 'default', reason: 'rejected', fromVersion: 1, version: 2 });
  expect(typeof end?.['durationMs']).toBe('number');
  expect(end?.['result']).toBeUndefined();
  const text = JSON.stringify(trace.seen);
  for (const secret of [rejected, 'refresh-0', ...h.authority.accepted]) expect(text).not.toContain(secret);
});

test('a failed refresh is traced with error (a typed, retryable error), then asyncEnd with no version', async () => {
  const h = await harness({
    refresh: async () => {
      throw Object.assign(new Error('token endpoint said 503'), { response: { status: 503 } });
    },
  });
  await seedRejected(h);
  const trace = traceRefreshes();
  try {
    await h.client.get('/me').catch(() => undefined);
  } finally {
    trace.stop();
  }
  expect(trace.seen.map(([phase]) => phase)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
  const error = trace.seen.find(([phase]) => phase === 'error')?.[1]['error'] as { code?: string; retryable?: boolean };
  expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', retryable: true });
  expect(trace.seen.find(([phase]) => phase === 'asyncEnd')?.[1]['version']).toBeUndefined();
});

test("the refresh starts in the async context of the request that caused it (a tracer's parent span flows through)", async () => {
  const h = await harness();
  await seedRejected(h);
  const requestContext = new AsyncLocalStorage<string>();
  const seenAtStart: Array<string | undefined> = [];
  const channel = diagnosticsChannel.tracingChannel('axios-token-flight:refresh');
  const ignore = (): void => undefined;
  const handlers = {
    start: () => void seenAtStart.push(requestContext.getStore()),
    end: ignore,
    asyncStart: ignore,
    asyncEnd: ignore,
    error: ignore,
  };
  channel.subscribe(handlers);
  try {
    await requestContext.run('request-42', () => h.client.get('/me'));
  } finally {
    channel.unsubscribe(handlers);
  }
  expect(seenAtStart).toEqual(['request-42']);
});

test('replay and propagation-wait are published with the event payload at top level, as often as the events fire', async () => {
  // A fresh token is answered "not propagated yet" once, then accepted.
  const h = await propagatingHarness(1);
  await seedRejected(h);
  const replays = listen('replay');
  const waits = listen('propagation-wait');
  const events: string[] = [];
  h.handle.events.on('replay', () => events.push('replay'));
  h.handle.events.on('propagation-wait', () => events.push('propagation-wait'));
  try {
    await h.client.get('/me');
  } finally {
    replays.stop();
    waits.stop();
  }
  expect(replays.messages).toEqual([{ key: 'default', attempt: 1, rejectedVersion: 1, method: 'GET' }]);
  expect(waits.messages).toHaveLength(1);
  expect(waits.messages[0]).toMatchObject({ key: 'default', version: 2, attempt: 1 });
  expect(events.sort()).toEqual(['propagation-wait', 'replay']);
  expect(h.handle.stats()).toMatchObject({ replays: 1, propagationWaits: 1, refreshes: 1 });
});

test("a process that waits on another's refresh reports lock-wait (served), on its event and its channel", async () => {
  const store = new MemoryTokenStore();
  let releaseRefresh: () => void = () => undefined;
  const slowRefresh = async (): Promise<TokenInput> => {
    await new Promise<void>((resolve) => {
      releaseRefresh = resolve;
    });
    return { accessToken: 'fresh', expiresIn: 3_600 };
  };
  const refresher = attachTokenRefresh(axios.create(), { origins: 'any', store, refresh: slowRefresh });
  const waiter = attachTokenRefresh(axios.create(), { origins: 'any', store, refresh: slowRefresh });
  const channel = listen('lock-wait');
  const events: unknown[] = [];
  waiter.events.on('lock-wait', (payload) => events.push(payload));
  try {
    const first = refresher.getToken('k');
    await sleep(20); // the refresher holds the lock
    const second = waiter.getToken('k');
    await sleep(100);
    releaseRefresh();
    await Promise.all([first, second]);
  } finally {
    channel.stop();
    refresher.detach();
    waiter.detach();
  }
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ key: 'k', outcome: 'served' });
  expect((events[0] as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(50);
  expect(channel.messages).toEqual(events);
});

test('the exported event names are exactly the events a handle can emit', () => {
  expect([...TOKEN_FLIGHT_EVENTS].sort()).toEqual(
    [
      'lock-wait',
      'persist-failed',
      'propagation-wait',
      'refresh-failed',
      'refresh-start',
      'refreshed',
      'replay',
      'store-degraded',
      'store-recovered',
    ].sort(),
  );
});
