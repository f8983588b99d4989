import type { RefreshContext, TokenInput } from '../types';
import { readHelperOptions, requestToken, resolveEndpoint, type TokenEndpointOptions } from './token-endpoint';

export interface ClientCredentialsGrantOptions extends TokenEndpointOptions {
  readonly clientSecret: string;
  /** Auth0 and others name the API with `audience`. */
  readonly audience?: string | undefined;
}

/** RFC 6749 §4.4: machine-to-machine tokens; nothing to rotate, a missing token is simply fetched. */
export function clientCredentialsGrant(options: ClientCredentialsGrantOptions): (context: RefreshContext) => Promise<TokenInput> {
  const given = readHelperOptions('oauth2.clientCredentialsGrant', options, ['audience']);
  const endpoint = resolveEndpoint('oauth2.clientCredentialsGrant', given, true);
  const audience = given.audience;
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) {
    throw new TypeError('axios-token-flight: oauth2.clientCredentialsGrant: option `audience` must be a non-empty string');
  }
  const grant = { grant_type: 'client_credentials', ...(audience === undefined ? {} : { audience }) };
  return function clientCredentialsGrantRefresh(context) {
    return requestToken(endpoint, grant, context);
  };
}
