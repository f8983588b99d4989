/**
 * `axios-token-flight/otel` against the real OpenTelemetry SDK (2.x: tracer and meter providers,
 * in-memory span exporter, a manual metric reader, the AsyncLocalStorage context manager): spans
 * parented to the request's span, error status on a failed refresh, metric counts equal to the
 * events of the same run, no token and no key (unless recordKeys) anywhere, and disable().
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ReauthorizationRequiredError, RefreshFailedError, TOKEN_FLIGHT_EVENTS } from '../../lib';
import { instrumentTokenFlight, resendCount, type TokenFlightInstrumentation } from '../../lib/otel';
import { describeFailure } from '../../lib/otel/refresh-outcome';
import { closeAll, type Harness, harness, propagatingHarness, seedRejected } from '../helpers/setup';

/** Collects on demand: the test reads exactly what was recorded so far. */
class ManualReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const contextManager = new AsyncLocalStorageContextManager();
let spans: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
let reader: ManualReader;
let meterProvider: MeterProvider;
let instrumentation: TokenFlightInstrumentation | undefined;

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => {
  spans = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  reader = new ManualReader();
  meterProvider = new MeterProvider({ readers: [reader] });
});
afterEach(async () => {
  instrumentation?.disable();
  instrumentation = undefined;
  await closeAll();
});

/** Sum of a counter's data points (optionally those whose attributes match), or a histogram's count. */
async function metric(name: string, match: Record<string, unknown> = {}): Promise<{ total: number; points: Array<DataPoint<unknown>> }> {
  const { resourceMetrics } = await reader.collect();
  const found = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
  const points = ((found?.dataPoints ?? []) as Array<DataPoint<unknown>>).filter((point) =>
    Object.entries(match).every(([attribute, value]) => point.attributes[attribute] === value),
  );
  const total = points.reduce((sum, point) => sum + (typeof point.value === 'number' ? point.value : (point.value as Histogram).count), 0);
  return { total, points };
}

/** Counts every event the handle emits, to compare with the metrics. */
function countEvents(h: Harness): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of TOKEN_FLIGHT_EVENTS) h.handle.events.on(name, () => void (counts[name] = (counts[name] ?? 0) + 1));
  return counts;
}

const refreshSpans = (): ReadableSpan[] => spans.getFinishedSpans().filter((span) => span.name === 'token_flight.refresh');

test('one token_flight.refresh span per refresh, a child of the span of the request that caused it', async () => {
  instrumentation = instrumentTokenFlight({ tracerProvider, meterProvider });
  const h = await harness();
  await seedRejected(h);
  const tracer = tracerProvider.getTracer('app');
  const requestSpan = tracer.startSpan('GET /me');
  await context.with(trace.setSpan(context.active(), requestSpan), () => h.client.get('/me'));
  requestSpan.end();

  const [refresh, ...more] = refreshSpans();
  expect(more).toEqual([]);
  expect(refresh?.parentSpanContext?.spanId).toBe(requestSpan.spanContext().spanId);
  expect(refresh?.spanContext().traceId).toBe(requestSpan.spanContext().traceId);
  expect(refresh?.attributes).toMatchObject({
    'token_flight.reason': 'rejected',
    'token_flight.outcome': 'success',
    'token_flight.from_version': 1,
    'token_flight.version': 2,
  });
  expect(refresh?.status.code).toBe(0);
});

test('a refresh the token endpoint refuses (503) ends its span with error status and an exception event; invalid_grant counts as reauthorize', async () => {
  instrumentation = instrumentTokenFlight({ tracerProvider, meterProvider });
  let answer = 503;
  const h = await harness({
    refreshBackoffMs: { initial: 0, max: 0 },
    refresh: async () => {
      // What oauth2.refreshTokenGrant throws for each answer.
      if (answer === 400) throw new ReauthorizationRequiredError('the token endpoint answered invalid_grant', { key: 'default' });
      throw new RefreshFailedError(`the token endpoint answered ${answer}`, { key: 'default' });
    },
  });
  await seedRejected(h);
  await h.client.get('/me').catch(() => undefined);
  answer = 400;
  await h.handle.invalidate();
  await h.client.get('/me').catch(() => undefined);

  const [unavailable] = refreshSpans();
  expect(unavailable?.status.code).toBe(2); // ERROR
  expect(unavailable?.events.map((event) => event.name)).toContain('exception');
  expect(unavailable?.attributes['token_flight.outcome']).toBe('failure');
  expect((await metric('token_flight.refreshes', { 'token_flight.outcome': 'failure' })).total).toBe(1);
  const [, refused] = refreshSpans();
  expect(refused?.attributes['token_flight.outcome']).toBe('reauthorize');
  expect((await metric('token_flight.refreshes', { 'token_flight.outcome': 'reauthorize' })).total).toBe(1);
});

test('metric counts equal the events of the same run: refreshes, replays, propagation waits, refresh durations', async () => {
  instrumentation = instrumentTokenFlight({ tracerProvider, meterProvider });
  const h = await propagatingHarness(2);
  const events = countEvents(h);
  await seedRejected(h);
  await Promise.all([h.client.get('/a'), h.client.get('/b'), h.client.get('/c')]);

  expect((await metric('token_flight.refreshes')).total).toBe((events['refreshed'] ?? 0) + (events['refresh-failed'] ?? 0));
  expect((await metric('token_flight.refresh.duration')).total).toBe(events['refreshed']);
  expect((await metric('token_flight.replays', { 'token_flight.verdict': 'refresh' })).total).toBe(events['replay']);
  expect((await metric('token_flight.propagation_waits')).total).toBe(events['propagation-wait']);
  expect((await metric('token_flight.replays', { 'token_flight.verdict': 'propagation' })).total).toBe(events['propagation-wait']);
  expect(events['replay']).toBe(3);
  expect(events['propagation-wait']).toBe(2);
  expect(h.handle.stats()).toMatchObject({
    refreshes: events['refreshed'],
    replays: events['replay'],
    propagationWaits: events['propagation-wait'],
  });
});

test('no token in any attribute or event, and no key unless recordKeys', async () => {
  instrumentation = instrumentTokenFlight({ tracerProvider, meterProvider });
  const h = await harness({ key: 'tenant-7781' });
  const rejected = await seedRejected(h);
  await h.client.get('/me');
  const failing = await harness({
    key: 'tenant-9902',
    refresh: async ({ key }) => {
      throw new RefreshFailedError(`axios-token-flight: the token endpoint is down for "${key}" (${key})`, { key });
    },
  });
  await seedRejected(failing);
  await failing.client.get('/me').catch(() => undefined);

  const recorded = JSON.stringify([
    spans.getFinishedSpans().map((span) => ({ attributes: span.attributes, events: span.events, status: span.status })),
    (await reader.collect()).resourceMetrics,
  ]);
  for (const secret of [rejected, 'refresh-0', ...h.authority.accepted]) expect(recorded).not.toContain(secret);
  expect(recorded).not.toContain('tenant-7781');
  expect(recorded).not.toContain('tenant-9902');
  expect(refreshSpans()).toHaveLength(2);

  instrumentation.disable();
  instrumentation = instrumentTokenFlight({ tracerProvider, meterProvider, recordKeys: true });
  await h.handle.invalidate();
  await h.client.get('/me');
  expect(refreshSpans().at(-1)?.attributes['token_flight.key']).toBe('tenant-7781');
});

test('a failure message names the key: quoted, it becomes "<key>"; anywhere else, the message is the code', () => {
  expect(describeFailure(new RefreshFailedError('refreshing "t-1" failed', { key: 't-1' }), 't-1', false).message).toBe(
    'refreshing "<key>" failed',
  );
  expect(describeFailure(new RefreshFailedError('t-1 is down', { key: 't-1' }), 't-1', false).message).toBe('ERR_REFRESH_FAILED');
  expect(describeFailure(new RefreshFailedError('t-1 is down', { key: 't-1' }), 't-1', true).message).toBe('t-1 is down');
});

test('disable() stops everything: no span and no metric afterwards', async () => {
  instrumentation = instrumentTokenFlight({ tracerProvider, meterProvider });
  const h = await harness();
  await seedRejected(h);
  await h.client.get('/me');
  const before = { spans: refreshSpans().length, refreshes: (await metric('token_flight.refreshes')).total };
  instrumentation.disable();
  await h.handle.invalidate();
  await h.client.get('/me');
  expect(h.handle.stats().refreshes).toBe(2);
  expect(refreshSpans()).toHaveLength(before.spans);
  expect((await metric('token_flight.refreshes')).total).toBe(before.refreshes);
});

test("resendCount() inside the HTTP client request of a replay (where an HTTP span's hooks run): undefined, then 1", async () => {
  const h = await harness();
  await seedRejected(h);
  const seen: Array<number | undefined> = [];
  // Node's own HTTP client channel fires inside http.request(), as @opentelemetry/instrumentation-http's requestHook does.
  const onRequest = (): void => void seen.push(resendCount());
  diagnosticsChannel.subscribe('http.client.request.start', onRequest);
  try {
    await h.client.get('/me'); // without the instrumentation: nothing bound
    instrumentation = instrumentTokenFlight({ tracerProvider, meterProvider });
    await h.handle.setToken({ accessToken: 'revoked-again', refreshToken: 'refresh-1', expiresIn: 3600 });
    await h.client.get('/me');
  } finally {
    diagnosticsChannel.unsubscribe('http.client.request.start', onRequest);
  }
  expect(seen).toEqual([undefined, undefined, undefined, 1]);
  instrumentation.disable();
  instrumentation = undefined;
  expect(resendCount()).toBeUndefined();
});

test('options are checked: recordKeys must be a boolean', () => {
  expect(() => instrumentTokenFlight({ recordKeys: 'yes' as unknown as boolean })).toThrow(TypeError);
});
