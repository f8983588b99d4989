import { setMaxListeners } from 'node:events';
import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';
import { createEvents, createStats, type TokenFlightEvents, type TokenFlightStats } from './events';
import type { PluginContext } from './interceptors/context';
import { createRequestInterceptors } from './interceptors/request';
import { createResponseInterceptors } from './interceptors/response';
import { createSendGuard } from './interceptors/send-guard';
import { resolveOptions, type TokenRefreshOptions } from './options';
import { redactError } from './redact';
import { RefreshCoordinator } from './refresh/coordinator';
import { KnownSecrets } from './refresh/known-secrets';
import { describe } from './token-set';
import type { TokenInput, TokenSet } from './types';

export interface TokenRefreshHandle {
  /** Ejects both interceptors, ends every wait and timer, unsubscribes from the store. */
  detach(): void;
  /** A valid token for `key` (refreshing if missing or expiring), for use outside axios. */
  getToken(key?: string): Promise<TokenSet>;
  /** Seeds a credential, e.g. after an authorization-code exchange. Keeps the refresh token if omitted. */
  setToken(input: TokenInput, key?: string): Promise<TokenSet>;
  /** Marks the current token expired fleet-wide; the next use refreshes it. */
  invalidate(key?: string): Promise<void>;
  readonly events: TokenFlightEvents;
  /** Counters for this process. */
  stats(): Readonly<TokenFlightStats>;
}

/**
 * Attaches token injection, rejection handling, single-flight refresh and bounded replay to
 * `instance`. Throws `TypeError` at once for invalid options.
 */
export function attachTokenRefresh(instance: AxiosInstance, options: TokenRefreshOptions): TokenRefreshHandle {
  if (typeof instance?.interceptors?.request?.use !== 'function') {
    throw new TypeError(`axios-token-flight: attachTokenRefresh expects an axios instance, got ${describe(instance)}`);
  }
  const resolved = resolveOptions(instance, options);
  const lifetimeController = new AbortController();
  // Every request waiting on a refresh listens for detach; hundreds at once is normal, not a leak.
  setMaxListeners(0, lifetimeController.signal);
  const events = createEvents();
  const stats = createStats();
  const random = Math.random;
  const secrets = new KnownSecrets();
  const redact = <T>(error: T, key: string | undefined): T => redactError(error, key === undefined ? [] : secrets.forKey(key));
  const coordinator = new RefreshCoordinator(resolved, events, stats, lifetimeController.signal, secrets, random);
  const sendGuard = createSendGuard({ origins: resolved.origins, secrets, logger: resolved.logger });

  const context: PluginContext = {
    instance,
    options: resolved,
    coordinator,
    events,
    stats,
    lifetime: lifetimeController.signal,
    random,
    secrets,
    sendGuard,
    redact,
    resolveKey: (config: InternalAxiosRequestConfig) => validKey(config.tokenFlight?.key ?? resolved.key(config), 'the `key` option'),
  };

  const requestIds = createRequestInterceptors(context).map(([interceptor, options]) => instance.interceptors.request.use(interceptor, undefined, options));
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

  let detached = false;
  return {
    detach() {
      if (detached) return;
      detached = true;
      for (const id of requestIds) instance.interceptors.request.eject(id);
      instance.interceptors.response.eject(responseId);
      sendGuard.uninstall(instance.defaults);
      lifetimeController.abort();
      coordinator.close();
      secrets.clear();
    },
    getToken: (key) => redacting(defaultKey(key, 'getToken'), (k) => coordinator.currentToken(k)),
    setToken: (input, key) => redacting(defaultKey(key, 'setToken'), (k) => coordinator.setToken(input, k)),
    invalidate: (key) => redacting(defaultKey(key, 'invalidate'), (k) => coordinator.invalidate(k)),
    events,
    stats: () => Object.freeze({ ...stats }),
  };
}

function validKey(key: unknown, source: string): string {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`axios-token-flight: ${source} must give a non-empty string, got ${describe(key)}`);
  }
  return key;
}
