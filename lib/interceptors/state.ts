import type { AxiosRequestConfig } from 'axios';
import type { TokenSet } from '../types';

/**
 * What the request interceptor decided for one send: nothing to inject (`null`), a cached token,
 * a wait for one (`key` only), or an error to reject with (raised while deciding: `runWhen` itself
 * must never throw, because axios < 1.7 would throw it synchronously out of `instance.get()`).
 */
export type SendDecision = { readonly key: string; readonly token: TokenSet | undefined } | { readonly error: unknown } | null;

/** The plugin's own bookkeeping for one original request and its replays. */
export interface TokenFlightState {
  /** Replays already made for this original request. */
  replays: number;
  /** Propagation waits already made for this original request. */
  propagationWaits: number;
  /** Credential key the token was injected for. */
  key: string | undefined;
  /** Version of the token that was sent; absent when no token was sent by the plugin. */
  sentVersion: number | undefined;
  /** `issuedAt` of the token that was sent (drives the propagation window). */
  sentIssuedAt: number | undefined;
  /** Set by the request interceptors' `runWhen` for the interceptor that then runs; cleared by it. */
  decision: SendDecision | undefined;
}

/**
 * The per-request state lives under a string key: axios' mergeConfig drops Symbol keys, and
 * a replay goes through mergeConfig again. axios deep-copies plain objects while merging, so
 * the counters must be incremented *before* a replay is sent, never after. The key is left out of
 * axios' config type on purpose: it is not an option, and must not show up in a user's editor.
 */
const STATE_KEY = 'axios-token-flight';

type WithState = { [STATE_KEY]?: TokenFlightState | undefined };

export function stateOf(config: AxiosRequestConfig): TokenFlightState {
  const holder = config as WithState;
  let state = holder[STATE_KEY];
  if (state === undefined) {
    state = { replays: 0, propagationWaits: 0, key: undefined, sentVersion: undefined, sentIssuedAt: undefined, decision: undefined };
    holder[STATE_KEY] = state;
  }
  return state;
}

export function existingStateOf(config: AxiosRequestConfig | undefined): TokenFlightState | undefined {
  return (config as WithState | undefined)?.[STATE_KEY];
}
