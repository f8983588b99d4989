import { setMaxListeners } from 'node:events';
import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';
import { createEvents, createStats, type TokenFlightEvents, type TokenFlightStats } from './events';
import type { PluginContext } from './interceptors/context';
import { createRequestInterceptors } from './interceptors/request';
import { createResponseInterceptors } from './interceptors/response';
import { createSendGuard } from './interceptors/send-guard';
import { resolveOptions, type TokenRefreshOptions } from './options';
import { redactError, secretHeaderNames } from './secrets/redact';
import { RefreshCoordinator } from './refresh/coordinator';
import { Reporter } from './reporting/reporter';
import { KnownSecrets } from './secrets/known-secrets';
import { describe } from './describe';
import type { TokenInput, TokenSet } from './types';

export interface TokenRefreshHandle {
  /**
   * Ejects the interceptors, ends every wait and timer, unsubscribes from the store — at once. A
   * refresh already sent to the provider still finishes and is written, in the background.
   */
  detach(): void;
  /**
   * Graceful shutdown (SIGTERM, rolling deploys): starts no new refresh, lets refreshes already
   * sent to the provider finish and be written and saved — requests waiting on them, and their
   * replays, complete — bounded by `refreshTimeoutMs` plus a margin; then detaches. Close your
   * Redis client after this resolves, not before.
   */
  close(): Promise<void>;
  /** A valid token for `key` (refreshing if missing or expiring), for use outside axios. */
  getToken(key?: string): Promise<TokenSet>;
  /** Seeds a credential, e.g. after an authorization-code exchange. Keeps the refresh token if omitted. */
  setToken(input: TokenInput, key?: string): Promise<TokenSet>;
  /** Marks the current token expired fleet-wide; the next use refreshes it. */
  invalidate(key?: string): Promise<void>;
  /**
   * Deletes the credential fleet-wide (a customer disconnects): from the store, from every
   * process's copy (change notice) and from `persist` (`persist.delete`). A tombstone keeps any older
   * copy from being refreshed, put back or restored. Requests for the key then fail with
   * `ReauthorizationRequiredError` until `setToken` seeds it again.
   */
  deleteToken(key?: string): Promise<void>;
  readonly events: TokenFlightEvents;
  /** Counters for this process. */
  stats(): Readonly<TokenFlightStats>;
}

/** Instances with a plugin on them: a second one would inject, refresh and replay beside the first. */
const attached = new WeakSet<AxiosInstance>();

/**
 * Attaches token injection, rejection handling, single-flight refresh and bounded replay to
 * `instance`. Throws `TypeError` at once for invalid options.
 */
export function attachTokenRefresh(instance: AxiosInstance, options: TokenRefreshOptions): TokenRefreshHandle {
  if (typeof instance?.interceptors?.request?.use !== 'function') {
    throw new TypeError(`axios-token-flight: attachTokenRefresh expects an axios instance, got ${describe(instance)}`);
  }
  if (attached.has(instance)) {
    throw new TypeError(
      'axios-token-flight: this axios instance is already attached; use the handle attachTokenRefresh returned the first time (or detach() it before attaching again)',
    );
  }
  const resolved = resolveOptions(instance, options);
  attached.add(instance);
  const lifetimeController = new AbortController();
  // Every request waiting on a refresh listens for detach; hundreds at once is normal, not a leak.
  setMaxListeners(0, lifetimeController.signal);
  const events = createEvents();
  const stats = createStats();
  const random = Math.random;
  const secrets = new KnownSecrets();
  const redact = <T>(error: T, key: string | undefined): T =>
    redactError(error, key === undefined ? [] : secrets.forKey(key), resolved.inject.headerLower);
  const reporter = new Reporter(events, stats, resolved.logger);
  const coordinator = new RefreshCoordinator(resolved, reporter, lifetimeController.signal, secrets, random);
  const sendGuard = createSendGuard({ origins: resolved.origins, secrets, logger: resolved.logger, injection: resolved.inject });

  const context: PluginContext = {
    instance,
    options: resolved,
    coordinator,
    reporter,
    stats,
    lifetime: lifetimeController.signal,
    random,
    sendGuard,
    redact,
    secretHeaders: secretHeaderNames(resolved.inject.headerLower),
    resolveKey: (config: InternalAxiosRequestConfig) => validKey(config.tokenFlight?.key ?? resolved.key(config), 'the `key` option'),
  };

  const requestIds = createRequestInterceptors(context).map(([interceptor, options]) =>
    instance.interceptors.request.use(interceptor, undefined, options),
  );
  const { onFulfilled, onRejected } = createResponseInterceptors(context);
  const responseId = instance.interceptors.response.use(onFulfilled, onRejected);
  // In the instance's defaults, every request already ends with the guard: nothing to add per request.
  sendGuard.install(instance.defaults);

  const defaultKey = (key: string | undefined, method: string): string => {
    if (key !== undefined) return validKey(key, `${method}(key)`);
    if (resolved.defaultKey === undefined) {
      throw new TypeError(`axios-token-flight: ${method}() needs a key, because the \`key\` option is a function`);
    }
    return resolved.defaultKey;
  };

  const redacting = <T>(key: string, call: (key: string) => Promise<T>): Promise<T> =>
    call(key).catch((error: unknown) => {
      throw redact(error, key);
    });

  let intercepting = true;
  /** New requests go out as if the plugin were not there; requests already in flight carry on. */
  const stopIntercepting = (): void => {
    if (!intercepting) return;
    intercepting = false;
    attached.delete(instance);
    for (const id of requestIds) instance.interceptors.request.eject(id);
    instance.interceptors.response.eject(responseId);
    sendGuard.uninstall(instance.defaults);
  };
  let closing: Promise<void> | undefined;
  return {
    detach() {
      stopIntercepting();
      if (lifetimeController.signal.aborted) return;
      // Ends every wait and timer at once. A refresh already sent to the provider is not cancelled:
      // it finishes in the background and its answer is written (it may hold the only live refresh token).
      lifetimeController.abort();
      coordinator.close();
    },
    close() {
      closing ??= (async () => {
        // The interceptors stay while draining: a request already in flight still gets its replay
        // with the new token. Requests that would start a new refresh fail with a CanceledError.
        await coordinator.drain();
        stopIntercepting();
        lifetimeController.abort();
        coordinator.close();
      })();
      return closing;
    },
    getToken: (key) => redacting(defaultKey(key, 'getToken'), (k) => coordinator.currentToken(k)),
    setToken: (input, key) => redacting(defaultKey(key, 'setToken'), (k) => coordinator.setToken(input, k)),
    invalidate: (key) => redacting(defaultKey(key, 'invalidate'), (k) => coordinator.invalidate(k)),
    deleteToken: (key) => redacting(defaultKey(key, 'deleteToken'), (k) => coordinator.deleteToken(k)),
    events,
    stats: () => Object.freeze({ ...stats, ...coordinator.holdings() }),
  };
}

function validKey(key: unknown, source: string): string {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`axios-token-flight: ${source} must give a non-empty string, got ${describe(key)}`);
  }
  return key;
}
