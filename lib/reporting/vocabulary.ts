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

/** How one event is reported everywhere it goes: the log line, the counter of `stats()`, the channel. */
export interface EventReport<E extends TokenFlightEventName> {
  /** Logger level; `undefined`: not logged (a debug line per request would drown a log). */
  readonly level: 'debug' | 'info' | 'warn' | undefined;
  readonly message: string;
  /** The payload fields the log line carries (some payload fields are for listeners only). */
  readonly logFields: ReadonlyArray<keyof TokenFlightEventMap[E]>;
  /** The `stats()` counter this event increments. */
  readonly counter: keyof TokenFlightCounters | undefined;
  /**
   * The plain diagnostics channel it is published on (`axios-token-flight:<name>`). The refresh
   * events go on the `axios-token-flight:refresh` tracing channel instead (see reporter.ts).
   */
  readonly channel: boolean;
}

type Vocabulary = { readonly [E in TokenFlightEventName]: EventReport<E> };

/** The one place that says what each event means for logs, counters and channels: the sites only report. */
export const VOCABULARY: Vocabulary = {
  'refresh-start': {
    level: 'debug',
    message: 'refreshing',
    logFields: ['key', 'reason', 'fromVersion'],
    counter: undefined,
    channel: false,
  },
  refreshed: {
    level: 'info',
    message: 'refreshed',
    logFields: ['key', 'reason', 'version', 'durationMs'],
    counter: 'refreshes',
    channel: false,
  },
  'refresh-failed': {
    level: 'warn',
    message: 'refresh failed',
    logFields: ['key', 'reason', 'code', 'durationMs'],
    counter: 'refreshFailures',
    channel: false,
  },
  replay: { level: undefined, message: 'replaying', logFields: [], counter: 'replays', channel: true },
  'propagation-wait': {
    level: undefined,
    message: 'waiting for the token to propagate',
    logFields: [],
    counter: 'propagationWaits',
    channel: true,
  },
  'lock-wait': {
    level: 'debug',
    message: 'waited for another refresh',
    logFields: ['key', 'waitedMs', 'outcome'],
    counter: undefined,
    channel: true,
  },
  'store-degraded': {
    level: 'warn',
    message: 'token store unavailable, continuing with in-process tokens',
    logFields: ['operation', 'errorName'],
    counter: undefined,
    channel: true,
  },
  'store-recovered': { level: 'info', message: 'token store recovered', logFields: ['degradedForMs'], counter: undefined, channel: true },
  'persist-failed': {
    level: 'warn',
    message: 'persist.save failed; the token is in use and the save will be retried',
    logFields: ['key', 'version', 'attempt', 'errorName', 'retryInMs'],
    counter: undefined,
    channel: true,
  },
};
