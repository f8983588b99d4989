// A strict nodenext ESM consumer: the packed package, used the way the README shows.
import assert from 'node:assert/strict';
import axios from 'axios';
import type { AxiosRequestConfig } from 'axios';
import {
  attachTokenRefresh,
  isRetryableAuthError,
  matchers,
  MemoryTokenStore,
  oauth2,
  RefreshFailedError,
  type Logger,
  type TokenSet,
  type TokenStore,
} from 'axios-token-flight';
import { instrumentTokenFlight } from 'axios-token-flight/otel';
import { startFakeProvider } from 'axios-token-flight/testing';

const provider = await startFakeProvider({ propagationMs: 200 });

// The OpenTelemetry subpath loads in this module format (no SDK here: the API's no-op providers).

const instrumentation = instrumentTokenFlight();
const api = axios.create({ baseURL: `${provider.url}/linkedin` });
// Ordinary code under exactOptionalPropertyTypes: optional values that may be undefined.
const clientSecret: string | undefined = process.env['CLIENT_SECRET_NOT_SET'];
const opts: { store?: TokenStore | undefined; logger?: Logger | undefined } = { store: new MemoryTokenStore() };
const handle = attachTokenRefresh(api, {
  refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app', clientSecret }),
  matchers: [matchers.linkedin(), matchers.unauthorized()],
  store: opts.store,
  logger: opts.logger,
  maxReplays: undefined,
});
const seed = provider.authorize({ scope: 'r_ads' });
const data: { access_token: string; refresh_token?: string | undefined; expires_in?: number | undefined } = {
  access_token: seed.accessToken,
  refresh_token: seed.refreshToken,
  expires_in: seed.expiresIn,
};
await handle.setToken({ accessToken: data.access_token, refreshToken: data.refresh_token, expiresIn: data.expires_in, extra: seed.extra });
// The plugin's per-request bookkeeping is not an option: it is not in axios' config type.
const config: AxiosRequestConfig = {};
// @ts-expect-error internal key, hidden from users
void config['axios-token-flight'];
provider.revokeAccessTokens();
const { status } = await api.get('/rest/me');
const token: TokenSet = await handle.getToken();
assert.equal(status, 200);
assert.equal(token.extra['scope'], 'r_ads');

provider.setBehaviour({ tokenFault: 'server-error' });
await handle.invalidate();
const error: unknown = await api.get('/rest/me').catch((e: unknown) => e);
assert.ok(error instanceof RefreshFailedError);
if (isRetryableAuthError(error))
  assert.equal(error.retryable, true); // narrowed: TokenFlightError
else assert.fail('a 503 from the token endpoint is retryable');

handle.detach();

instrumentation.disable();
await provider.close();
console.log('esm consumer: ok');
