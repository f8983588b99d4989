import type { TokenFlightCounters, TokenFlightEventMap, TokenFlightEventName } from '../events';

/** Every event a handle emits, in the order a refresh meets them. Also the names tests and dashboards iterate. */
export const TOKEN_FLIGHT_EVENTS = [
  'refresh-start',
  'refreshed',
  'refresh-failed',
  'replay',
  'propagation-wait',
  'lock-wait',
  'store-degraded',
  'store-recovered',
  'persist-failed',
] as const satisfies readonly TokenFlightEventName[];

/** The prefix of every `node:diagnostics_channel` name the plugin publishes on. */
export const CHANNEL_PREFIX = 'axios-token-flight:';

/** The log line of an event: its level, its message, and which payload fields it carries. */
interface LogLine<E extends TokenFlightEventName> {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
  /** Some payload fields are for listeners only (an error message may be long). */
  readonly fields: ReadonlyArray<keyof TokenFlightEventMap[E]>;
}

/** How one event is reported everywhere it goes: the log line, the counter of `stats()`, the channel. */
export interface EventReport<E extends TokenFlightEventName> {
  /** Absent: not logged (a line per replay or wait would drown a log; the events and channels have them). */
  readonly log?: LogLine<E>;
  /** The `stats()` counter this event increments. */
  readonly counter?: keyof TokenFlightCounters;
  /**
   * Published on the plain diagnostics channel `axios-token-flight:<name>`. The refresh events are
   * not: the refresh is the `axios-token-flight:refresh` tracing channel (see reporter.ts).
   */
  readonly channel: boolean;
}

type Vocabulary = { readonly [E in TokenFlightEventName]: EventReport<E> };

/** The one place that says what each event means for logs, counters and channels: the sites only report. */
export const VOCABULARY: Vocabulary = {
  'refresh-start': { log: { level: 'debug', message: 'refreshing', fields: ['key', 'reason', 'fromVersion'] }, channel: false },
  refreshed: {
    log: { level: 'info', message: 'refreshed', fields: ['key', 'reason', 'version', 'durationMs'] },
    counter: 'refreshes',
    channel: false,
  },
  'refresh-failed': {
    log: { level: 'warn', message: 'refresh failed', fields: ['key', 'reason', 'code', 'durationMs'] },
    counter: 'refreshFailures',
    channel: false,
  },
  replay: { counter: 'replays', channel: true },
  'propagation-wait': { counter: 'propagationWaits', channel: true },
  'lock-wait': { log: { level: 'debug', message: 'waited for another refresh', fields: ['key', 'waitedMs', 'outcome'] }, channel: true },
  'store-degraded': {
    log: { level: 'warn', message: 'token store unavailable, continuing with in-process tokens', fields: ['operation', 'errorName'] },
    channel: true,
  },
  'store-recovered': { log: { level: 'info', message: 'token store recovered', fields: ['degradedForMs'] }, channel: true },
  'persist-failed': {
    log: {
      level: 'warn',
      message: 'persist.save failed; the token is in use and the save will be retried',
      fields: ['key', 'version', 'attempt', 'errorName', 'retryInMs'],
    },
    channel: true,
  },
};
