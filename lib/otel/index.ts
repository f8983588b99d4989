/**
 * `axios-token-flight/otel`: OpenTelemetry spans and metrics from the plugin's diagnostics
 * channels. The main entry never imports `@opentelemetry/api` (an optional peer): only this one does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  type Attributes,
  context,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { CHANNEL_PREFIX } from '../reporting/vocabulary';
import { describeFailure, outcomeOf, type RefreshMessage } from './refresh-outcome';

export interface TokenFlightInstrumentationOptions {
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`) */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Where metrics go. @default the global meter provider (`metrics.getMeterProvider()`) */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Record credential keys (`token_flight.key`) on spans and metrics. Off by default: a key is
   * often a tenant id — personal data, and one time series per tenant.
   */
  readonly recordKeys?: boolean | undefined;
}

export interface TokenFlightInstrumentation {
  /** Removes every subscription: nothing is recorded after it. */
  disable(): void;
}

const SCOPE = 'axios-token-flight';
/** Refreshes take tens of milliseconds to the token endpoint's timeout (10 s by default). */
const REFRESH_SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LOCK_WAIT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

type Message = Record<string, unknown>;

/** The resend count of the replay running in this async context (bound to the `resend` channel). */
const resends = new AsyncLocalStorage<number>();
const resendChannel = diagnosticsChannel.channel(`${CHANNEL_PREFIX}resend`);
/** Instrumentations enabled: the store stays bound while any is. */
let enabledCount = 0;

/**
 * Inside a request the plugin sends again after a rejection (and its HTTP client span's hooks),
 * how many times it was sent before: OpenTelemetry's `http.request.resend_count`. `undefined` in a
 * first send, or when no instrumentation is enabled. For `@opentelemetry/instrumentation-http`:
 * `requestHook: (span) => { const n = resendCount(); if (n !== undefined) span.setAttribute('http.request.resend_count', n); }`.
 */
export function resendCount(): number | undefined {
  return resends.getStore();
}

/**
 * Subscribes to the plugin's channels and records, for every plugin in this process:
 * span `token_flight.refresh` (a child of the span of the request that caused it), and metrics
 * `token_flight.refreshes`, `token_flight.refresh.duration`, `token_flight.replays`,
 * `token_flight.propagation_waits`, `token_flight.lock.wait.duration`. See docs/observability.md.
 */
export function instrumentTokenFlight(options: TokenFlightInstrumentationOptions = {}): TokenFlightInstrumentation {
  if (typeof options !== 'object' || options === null) throw new TypeError('axios-token-flight/otel: options must be an object');
  const { tracerProvider, meterProvider, recordKeys = false } = options;
  if (typeof recordKeys !== 'boolean') throw new TypeError('axios-token-flight/otel: option `recordKeys` must be a boolean');
  const tracer = (tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const meter = (meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const refreshes = meter.createCounter('token_flight.refreshes', {
    unit: '{refresh}',
    description: 'Refreshes this process ran, by outcome (success, failure, reauthorize) and reason',
  });
  const refreshDuration = meter.createHistogram('token_flight.refresh.duration', {
    unit: 's',
    description: 'How long a refresh took: the token endpoint and the write of its answer',
    advice: { explicitBucketBoundaries: REFRESH_SECONDS_BUCKETS },
  });
  const replays = meter.createCounter('token_flight.replays', {
    unit: '{replay}',
    description: 'Requests sent again after a rejection, by verdict (refresh: with a new token; propagation: after a wait)',
  });
  const propagationWaits = meter.createCounter('token_flight.propagation_waits', {
    unit: '{wait}',
    description: 'Waits for a fresh token to propagate (LinkedIn 65601 and alike)',
  });
  const lockWait = meter.createHistogram('token_flight.lock.wait.duration', {
    unit: 's',
    description: "Time a process waited on another process's refresh, by outcome (served, acquired, gave-up)",
    advice: { explicitBucketBoundaries: LOCK_WAIT_SECONDS_BUCKETS },
  });

  const withKey = (attributes: Attributes, key: unknown): Attributes =>
    recordKeys && typeof key === 'string' ? { ...attributes, 'token_flight.key': key } : attributes;
  const running = new WeakMap<object, { span: Span; startedAt: number }>();

  const ignore = (): void => undefined;
  const refreshHandlers = {
    end: ignore,
    asyncStart: ignore,
    start(message: unknown): void {
      const refresh = message as RefreshMessage;
      const attributes: Attributes = {
        'token_flight.reason': refresh.reason,
        'token_flight.lock.wait.duration': refresh.lockWaitMs / 1000,
      };
      if (refresh.fromVersion !== null) attributes['token_flight.from_version'] = refresh.fromVersion;
      // The context active now is the request's that caused the refresh (it flows through the plugin's awaits).
      const span = tracer.startSpan(
        'token_flight.refresh',
        { kind: SpanKind.INTERNAL, attributes: withKey(attributes, refresh.key) },
        context.active(),
      );
      running.set(message as object, { span, startedAt: performance.now() });
    },
    error(message: unknown): void {
      const refresh = message as RefreshMessage;
      const span = running.get(message as object)?.span;
      if (span === undefined) return;
      const failure = describeFailure(refresh.error, refresh.key, recordKeys);
      span.recordException(failure);
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    },
    asyncEnd(message: unknown): void {
      const refresh = message as RefreshMessage;
      const entry = running.get(message as object);
      if (entry === undefined) return;
      running.delete(message as object);
      const outcome = outcomeOf(refresh.error);
      entry.span.setAttribute('token_flight.outcome', outcome);
      if (typeof refresh.version === 'number') entry.span.setAttribute('token_flight.version', refresh.version);
      entry.span.end();
      const attributes = withKey({ 'token_flight.outcome': outcome, 'token_flight.reason': refresh.reason }, refresh.key);
      refreshes.add(1, attributes);
      refreshDuration.record((performance.now() - entry.startedAt) / 1000, attributes);
    },
  };

  const plain: Record<string, (message: unknown) => void> = {
    // Every replay is sent inside the resend channel, whatever its verdict: counted where it happens.
    resend: (message) => {
      const { key, verdict } = message as Message;
      replays.add(1, withKey({ 'token_flight.verdict': String(verdict) }, key));
    },
    'propagation-wait': (message) => propagationWaits.add(1, withKey({}, (message as Message)['key'])),
    'lock-wait': (message) => {
      const { key, waitedMs, outcome } = message as Message;
      lockWait.record(Number(waitedMs) / 1000, withKey({ 'token_flight.lock.outcome': String(outcome) }, key));
    },
  };

  const refreshChannel =
    typeof diagnosticsChannel.tracingChannel === 'function' ? diagnosticsChannel.tracingChannel(`${CHANNEL_PREFIX}refresh`) : undefined;
  refreshChannel?.subscribe(refreshHandlers);
  if (enabledCount++ === 0) resendChannel.bindStore(resends, (message) => (message as { resendCount: number }).resendCount);
  for (const [name, onMessage] of Object.entries(plain)) diagnosticsChannel.subscribe(`${CHANNEL_PREFIX}${name}`, onMessage);
  let enabled = true;
  return {
    disable() {
      if (!enabled) return;
      enabled = false;
      refreshChannel?.unsubscribe(refreshHandlers);
      if (--enabledCount === 0) resendChannel.unbindStore(resends);
      for (const [name, onMessage] of Object.entries(plain)) diagnosticsChannel.unsubscribe(`${CHANNEL_PREFIX}${name}`, onMessage);
    },
  };
}
