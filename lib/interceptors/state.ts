import type { AxiosRequestConfig } from 'axios';

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
    state = { replays: 0, propagationWaits: 0, key: undefined, sentVersion: undefined, sentIssuedAt: undefined };
    holder[STATE_KEY] = state;
  }
  return state;
}

export function existingStateOf(config: AxiosRequestConfig | undefined): TokenFlightState | undefined {
  return (config as WithState | undefined)?.[STATE_KEY];
}
