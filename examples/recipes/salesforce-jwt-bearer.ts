import axios from 'axios';
import { attachTokenRefresh, matchers, oauth2, type TokenStore } from 'axios-token-flight';

/**
 * Salesforce's OAuth 2.0 JWT bearer flow: a connected app's consumer key signs for a pre-authorised
 * user. `aud` is the login URL (`https://test.salesforce.com` for sandboxes); the token endpoint
 * is on the same host. The answer's `instance_url` is the org to call.
 */
export function salesforceJwtBearer(options: {
  consumerKey: string;
  username: string;
  privateKeyPem: string;
  store: TokenStore;
  loginUrl?: string;
  instanceUrl: string;
}) {
  const loginUrl = options.loginUrl ?? 'https://login.salesforce.com';
  const client = axios.create({ baseURL: options.instanceUrl });
  const handle = attachTokenRefresh(client, {
    store: options.store,
    key: `salesforce:${options.username}`,
    refresh: oauth2.jwtBearerGrant({
      tokenUrl: `${loginUrl}/services/oauth2/token`,
      issuer: options.consumerKey,
      subject: options.username,
      audience: loginUrl,
      privateKey: options.privateKeyPem,
      lifetimeSec: 180,
    }),
    matchers: [matchers.salesforce()],
  });
  return { client, handle };
}
