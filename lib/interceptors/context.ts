import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';
import type { TokenFlightCounters } from '../events';
import type { Reporter } from '../reporting/reporter';
import type { ResolvedOptions } from '../options';
import type { RefreshCoordinator } from '../refresh/coordinator';
import type { SendGuard } from './send-guard';

/** What the interceptors share with the handle. */
export interface PluginContext {
  readonly instance: AxiosInstance;
  readonly options: ResolvedOptions;
  readonly coordinator: RefreshCoordinator;
  /** Reports what happened (events, logs, `stats()`, diagnostics channels) in one call. */
  readonly reporter: Reporter;
  /** `failures` is counted here directly: a failed request is not an event. */
  readonly stats: TokenFlightCounters;
  /** Aborted by `detach()`: ends every wait the plugin started. */
  readonly lifetime: AbortSignal;
  readonly random: () => number;
  readonly sendGuard: SendGuard;
  /** Redacts an error about `key` in place (by field and by value) and returns it. */
  redact<T>(error: T, key: string | undefined): T;
  /** Lower-case names of the headers whose values are secrets: `authorization` and the token header. */
  readonly secretHeaders: readonly string[];
  resolveKey(config: InternalAxiosRequestConfig): string;
}
