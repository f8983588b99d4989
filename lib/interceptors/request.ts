import type { AxiosInterceptorOptions, InternalAxiosRequestConfig } from 'axios';
import { describe } from '../describe';
import type { TokenFlightRequestOptions, TokenSet } from '../types';
import type { PluginContext } from './context';
import { destinationOf } from './destination';
import { countFailure } from './response';
import { type SendDecision, stateOf } from './state';

/** Enough to tell origins apart in a log, bounded so a crawler's many hosts cannot grow it. */
const MAX_REPORTED_ORIGINS = 100;

function destinationLabel(config: InternalAxiosRequestConfig): string {
  const url = typeof config.url === 'string' ? config.url : '';
  const base = typeof config.baseURL === 'string' ? config.baseURL : undefined;
  try {
    return new URL(url, base).origin;
  } catch {
    return '(not an absolute URL)';
  }
}

/** `config.tokenFlight`, checked as the options are: a bad value rejects the request with a TypeError. */
function checkRequestOptions(options: TokenFlightRequestOptions): void {
  const { maxReplays } = options;
  if (maxReplays !== undefined && !(typeof maxReplays === 'number' && Number.isInteger(maxReplays) && maxReplays >= 0)) {
    throw new TypeError(`axios-token-flight: config.tokenFlight.maxReplays must be a non-negative integer, got ${describe(maxReplays)}`);
  }
}

type RequestInterceptor = (config: InternalAxiosRequestConfig) => InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig>;

/**
 * Puts the current token on every request to an allowed origin. Its header is always
 * overwritten, so a config replayed by someone else (axios-retry) picks up the newest token.
 *
 * Two interceptors, of which exactly one runs per request (axios' `runWhen`): a synchronous one
 * for the common case — a valid cached token, or nothing to inject — and an asynchronous one for a
 * request that must wait for a refresh. axios runs a request's interceptors without a promise
 * chain when every one that applies is synchronous, which is most of the plugin's hot-path cost.
 */
export function createRequestInterceptors(context: PluginContext): Array<[RequestInterceptor, AxiosInterceptorOptions]> {
  const { header, headerLower, valueFor } = context.options.inject;
  /** axios replaces only `Authorization` with its own Basic login; a custom header is still ours. */
  const axiosMayLogIn = headerLower === 'authorization';

  const decide = (config: InternalAxiosRequestConfig): SendDecision => {
    const perRequest = config.tokenFlight;
    if (perRequest !== undefined) checkRequestOptions(perRequest);
    // `headers: { Authorization: false }` as written (the exact name: one property read); any other
    // spelling of it is found by `apply`, where axios' `set` refuses to overwrite a `false`.
    if (perRequest?.skip === true || (config.headers as unknown as Record<string, unknown>)[header] === false) return null;
    const destination = destinationOf(config, context.options.origins, axiosMayLogIn);
    if (destination === 'own-login') {
      // Its 401 would be about those credentials, not our token: neither inject nor refresh.
      context.options.logger?.debug(
        {},
        'axios-token-flight: no token: axios logs this request in itself (`auth`, or a user name in the URL)',
      );
      return null;
    }
    if (destination !== 'allowed') {
      reportWithheld(config);
      return null;
    }
    const key = context.resolveKey(config);
    const token = context.coordinator.cachedValid(key);
    // No token to send yet: a request that will carry none must not wait for a refresh.
    if (token === undefined && config.headers.get(header) === false) return null;
    return { key, token };
  };

  /** Origins a token was withheld from, each logged once (at debug level: it is the plugin working as meant). */
  const withheldFrom = new Set<string>();
  const reportWithheld = (config: InternalAxiosRequestConfig): void => {
    const logger = context.options.logger;
    if (logger === undefined || withheldFrom.size >= MAX_REPORTED_ORIGINS) return;
    const origin = destinationLabel(config);
    if (withheldFrom.has(origin)) return;
    withheldFrom.add(origin);
    logger.debug({ origin }, 'axios-token-flight: no token for this request: its destination is not in `origins` (logged once per origin)');
  };

  /**
   * Writes the token's header. `false` when it did not land: the request says `false` for this
   * header in another spelling (axios' `set` keeps a `false`), so it carries no token of ours.
   */
  const written = (headers: InternalAxiosRequestConfig['headers'], value: string): boolean => {
    headers.set(header, value);
    return (headers as unknown as Record<string, unknown>)[header] === value || headers.get(header) === value;
  };

  const apply = (config: InternalAxiosRequestConfig, key: string | undefined, token: TokenSet | undefined): InternalAxiosRequestConfig => {
    const sent = token !== undefined && written(config.headers, valueFor(token)) ? token : undefined;
    const state = stateOf(config);
    // Assigned, not deleted: `delete` would turn the state into a slow dictionary-mode object.
    state.key = sent === undefined ? undefined : key;
    state.sentVersion = sent?.version;
    state.sentIssuedAt = sent?.issuedAt;
    // Even with nothing injected: the guard strips a token of ours copied from an earlier request.
    context.sendGuard.ensure(config);
    return config;
  };

  /** The decision `runWhen` left for this send, taken (so a replay's copy of the state does not carry it). */
  const takeDecision = (config: InternalAxiosRequestConfig): SendDecision | undefined => {
    const state = stateOf(config);
    const decision = state.decision;
    state.decision = undefined;
    return decision;
  };

  const injectCachedToken: RequestInterceptor = (config) => {
    const decision = takeDecision(config) ?? null;
    return decision === null || 'error' in decision ? apply(config, undefined, undefined) : apply(config, decision.key, decision.token);
  };

  const injectAfterWaiting: RequestInterceptor = async (config) => {
    const decision = takeDecision(config);
    if (decision !== null && decision !== undefined && 'error' in decision) throw decision.error;
    const key = decision?.key ?? context.resolveKey(config);
    try {
      return apply(config, key, await context.coordinator.currentToken(key, config.signal));
    } catch (error) {
      countFailure(context, error);
      throw context.redact(error, key);
    }
  };

  /** Nothing to inject, or a valid cached token: no waiting, so the synchronous interceptor can do it. */
  const canInjectNow = (decision: SendDecision | undefined): boolean =>
    decision === null || (decision !== undefined && !('error' in decision) && decision.token !== undefined);

  return [
    [
      injectCachedToken,
      {
        synchronous: true,
        runWhen: (config) => {
          let decision: SendDecision;
          try {
            decision = decide(config);
          } catch (error) {
            decision = { error };
          }
          stateOf(config).decision = decision;
          return canInjectNow(decision);
        },
      },
    ],
    [injectAfterWaiting, { runWhen: (config) => !canInjectNow(stateOf(config).decision) }],
  ];
}
