import type { RefreshContext, TokenInput } from '../types';
import type { PrivateKeyInput } from './jwt-assertion';
import { readHelperOptions, requestToken, resolveEndpoint, type TokenEndpointOptions } from './token-endpoint';

/** The client authenticates with a secret, or (`authMethod: 'private_key_jwt'`) with a signed assertion. */
export type ClientCredentialsGrantOptions = TokenEndpointOptions & {
  /** Auth0 and others name the API with `audience`. */
  readonly audience?: string | undefined;
} & ({ readonly clientSecret: string } | { readonly authMethod: 'private_key_jwt'; readonly privateKey: PrivateKeyInput });

/** RFC 6749 §4.4: machine-to-machine tokens; nothing to rotate, a missing token is simply fetched. */
export function clientCredentialsGrant(options: ClientCredentialsGrantOptions): (context: RefreshContext) => Promise<TokenInput> {
  const given = readHelperOptions('oauth2.clientCredentialsGrant', options, ['audience']);
  const endpoint = resolveEndpoint('oauth2.clientCredentialsGrant', given, 'required');
  const audience = given.audience;
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) {
    throw new TypeError('axios-token-flight: oauth2.clientCredentialsGrant: option `audience` must be a non-empty string');
  }
  const grant = { grant_type: 'client_credentials', ...(audience === undefined ? {} : { audience }) };
  return function clientCredentialsGrantRefresh(context) {
    return requestToken(endpoint, grant, context);
  };
}
