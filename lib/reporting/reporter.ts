import diagnosticsChannel from 'node:diagnostics_channel';
import type { TokenFlightCounters, TokenFlightEventMap, TokenFlightEventName, TokenFlightEvents } from '../events';
import type { Logger, RefreshReason, TokenSet } from '../types';
import { CHANNEL_PREFIX, TOKEN_FLIGHT_EVENTS, VOCABULARY } from './vocabulary';

/**
 * What the `axios-token-flight:refresh` tracing channel carries: set at `start`, completed before
 * `asyncEnd` (`version`, `durationMs`), or given `error` by the channel. Never the token: the traced
 * function resolves to nothing, so the channel's `result` stays empty.
 */
export interface RefreshTraceMessage {
  readonly key: string;
  readonly reason: RefreshReason;
  readonly fromVersion: number | null;
  /** How long this refresh waited for a refresh slot and the fleet's lock before it started. */
  readonly lockWaitMs: number;
  /** The version written, once the refresh succeeded. */
  version?: number;
  durationMs?: number;
}

type TracingChannel = ReturnType<typeof diagnosticsChannel.tracingChannel>;

/** Node ≥ 18.19 and ≥ 19.9 have tracing channels; on older ones the refresh is only reported, not traced. */
const refreshChannel: TracingChannel | undefined =
  typeof diagnosticsChannel.tracingChannel === 'function' ? diagnosticsChannel.tracingChannel(`${CHANNEL_PREFIX}refresh`) : undefined;

const plainChannels = new Map(
  TOKEN_FLIGHT_EVENTS.filter((name) => VOCABULARY[name].channel).map((name) => [
    name,
    diagnosticsChannel.channel(`${CHANNEL_PREFIX}${name}`),
  ]),
);

/**
 * Every replay is sent inside this channel's `runStores`, so a subscriber that binds a store to it
 * (axios-token-flight/otel's `resendCount()`) sees, in the async context of the replayed request —
 * its HTTP span's hooks included — how many times the request was sent before.
 */
const resendChannel = diagnosticsChannel.channel(`${CHANNEL_PREFIX}resend`);

/** What the `axios-token-flight:resend` channel carries for each replay sent. */
export interface ResendMessage {
  readonly key: string;
  /** Sends of this request before this one, minus one: 1 for the first replay (OpenTelemetry's `http.request.resend_count`). */
  readonly resendCount: number;
  readonly verdict: 'refresh' | 'propagation';
}

/** Whether anyone listens on the refresh tracing channel (`hasSubscribers` on it is Node ≥ 20.13 only). */
function refreshTraced(channel: TracingChannel | undefined): channel is TracingChannel {
  return (
    channel !== undefined &&
    (channel.start.hasSubscribers ||
      channel.end.hasSubscribers ||
      channel.asyncStart.hasSubscribers ||
      channel.asyncEnd.hasSubscribers ||
      channel.error.hasSubscribers)
  );
}

/**
 * The one reporting path: a site says what happened (`report('replay', {...})`), and the vocabulary
 * decides the rest — the `stats()` counter, the log line and its fields, the diagnostics channel and
 * the handle's event. So none of them can drift from the others.
 */
export class Reporter {
  constructor(
    private readonly events: TokenFlightEvents,
    private readonly stats: TokenFlightCounters,
    private readonly logger: Logger | undefined,
  ) {}

  report<E extends TokenFlightEventName>(name: E, payload: TokenFlightEventMap[E]): void {
    const spec = VOCABULARY[name];
    if (spec.counter !== undefined) this.stats[spec.counter] += 1;
    if (spec.log !== undefined && this.logger !== undefined) {
      const fields: Record<string, unknown> = {};
      for (const field of spec.log.fields) fields[field as string] = payload[field];
      this.logger[spec.log.level](fields, `axios-token-flight: ${spec.log.message}`);
    }
    // No cost when nobody subscribes: `hasSubscribers` is one property read.
    const channel = plainChannels.get(name);
    if (channel?.hasSubscribers === true) channel.publish(payload);
    this.events.emit(name, payload);
  }

  /** Sends a replay (`send`) inside the resend channel's stores when anyone binds one; else just sends it. */
  sendAgain<T>(message: ResendMessage, send: () => T): T {
    if (!resendChannel.hasSubscribers || typeof resendChannel.runStores !== 'function') return send();
    return resendChannel.runStores(message, send);
  }

  /**
   * Runs one refresh (`run` ends with the version written) inside the refresh tracing channel when
   * anyone subscribes: `start` in the async context of the request that caused it, then `asyncEnd`
   * with `version`, or `error`.
   */
  async traceRefresh(message: RefreshTraceMessage, run: () => Promise<TokenSet>): Promise<TokenSet> {
    if (!refreshTraced(refreshChannel)) return run();
    const started = Date.now();
    let token: TokenSet | undefined;
    await refreshChannel.tracePromise(async () => {
      token = await run();
      message.version = token.version;
      message.durationMs = Date.now() - started;
    }, message);
    return token as TokenSet;
  }
}
