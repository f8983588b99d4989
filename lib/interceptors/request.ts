import type { InternalAxiosRequestConfig } from 'axios';
import { authorizationValue } from '../token-set';
import type { PluginContext } from './context';
import { isAllowedOrigin } from './origin';
import { countFailure } from './response';
import { stateOf } from './state';

/**
 * Puts the current token on every request to an allowed origin. `Authorization` is always
 * overwritten, so a config replayed by someone else (axios-retry) picks up the newest token.
 */
export function createRequestInterceptor(context: PluginContext) {
  return async function injectToken(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
    const state = stateOf(config);
    // Whatever was sent before is not what will be sent now. (Assigned, not deleted: `delete`
    // would turn the state object into a slow dictionary-mode object on the hot path.)
    state.sentVersion = undefined;
    state.sentIssuedAt = undefined;
    if (config.tokenFlight?.skip === true || config.headers.get('Authorization') === false) return config;
    if (!isAllowedOrigin(config, context.options.origins)) return config;

    const key = context.resolveKey(config);
    let token = context.coordinator.cachedValid(key);
    if (token === undefined) {
      try {
        token = await context.coordinator.currentToken(key, config.signal);
      } catch (error) {
        countFailure(context, error);
        throw error;
      }
    }
    config.headers.set('Authorization', authorizationValue(token));
    state.key = key;
    state.sentVersion = token.version;
    state.sentIssuedAt = token.issuedAt;
    return config;
  };
}
