import axios from 'axios';
import { attachTokenRefresh, matchers, oauth2, type TokenStore } from 'axios-token-flight';

/**
 * A Google service account (its JSON key file's `client_email`, `private_key`, `private_key_id`):
 * tokens minted from a signed assertion, no refresh token. `subject` acts for a Workspace user
 * (domain-wide delegation); `tokenUrl` is overridable for tests.
 */
export function googleServiceAccount(options: {
  key: { client_email: string; private_key: string; private_key_id: string };
  scopes: readonly string[];
  subject?: string;
  store: TokenStore;
  tokenUrl?: string;
  apiUrl?: string;
}) {
  const tokenUrl = options.tokenUrl ?? 'https://oauth2.googleapis.com/token';
  const client = axios.create({ baseURL: options.apiUrl ?? 'https://www.googleapis.com' });
  const handle = attachTokenRefresh(client, {
    store: options.store,
    key: `google:${options.key.client_email}:${options.subject ?? 'self'}`,
    refresh: oauth2.jwtBearerGrant({
      tokenUrl,
      issuer: options.key.client_email,
      subject: options.subject,
      audience: tokenUrl,
      privateKey: options.key.private_key,
      keyId: options.key.private_key_id,
      scope: options.scopes.join(' '),
      lifetimeSec: 3_600,
    }),
    matchers: [matchers.google()],
  });
  return { client, handle };
}
