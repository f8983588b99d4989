import type { AxiosRequestConfig } from 'axios';
import { STATE_KEY, type TokenFlightState } from '../types';

/**
 * The per-request state lives under a string key: axios' mergeConfig drops Symbol keys, and
 * a replay goes through mergeConfig again. axios deep-copies plain objects while merging, so
 * the counters must be incremented *before* a replay is sent, never after.
 */
export function stateOf(config: AxiosRequestConfig): TokenFlightState {
  let state = config[STATE_KEY];
  if (state === undefined) {
    state = { replays: 0, propagationWaits: 0, key: undefined, sentVersion: undefined, sentIssuedAt: undefined };
    config[STATE_KEY] = state;
  }
  return state;
}

export function existingStateOf(config: AxiosRequestConfig | undefined): TokenFlightState | undefined {
  return config?.[STATE_KEY];
}
