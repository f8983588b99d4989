import { ReauthorizationRequiredError } from '../errors';
import type { RefreshContext, TokenInput } from '../types';
import { readHelperOptions, requestToken, resolveEndpoint, type TokenEndpointOptions } from './token-endpoint';

export type RefreshTokenGrantOptions = TokenEndpointOptions;

/**
 * RFC 6749 §6: trades the stored refresh token for a new access token. A rotated
 * `refresh_token` in the answer replaces the stored one; without one, the old one is kept.
 */
export function refreshTokenGrant(options: RefreshTokenGrantOptions): (context: RefreshContext) => Promise<TokenInput> {
  const endpoint = resolveEndpoint('oauth2.refreshTokenGrant', readHelperOptions('oauth2.refreshTokenGrant', options), 'optional');
  return async function refreshTokenGrantRefresh(context) {
    const refreshToken = context.current?.refreshToken;
    if (refreshToken === undefined) {
      throw new ReauthorizationRequiredError(
        `axios-token-flight: no refresh token is stored for "${context.key}"; seed one with handle.setToken() after the user authorises`,
        { key: context.key },
      );
    }
    return requestToken(endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken }, context, [refreshToken]);
  };
}
