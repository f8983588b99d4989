// A CommonJS consumer (nodenext, "type": "commonjs"): compiled by tsc to require() calls.
import assert = require('node:assert/strict');
import axios from 'axios';
import { attachTokenRefresh, oauth2, ReauthorizationRequiredError } from 'axios-token-flight';
import { instrumentTokenFlight } from 'axios-token-flight/otel';
import { startFakeProvider } from 'axios-token-flight/testing';

async function main(): Promise<void> {
  const provider = await startFakeProvider();
  // The OpenTelemetry subpath loads in this module format (no SDK here: the API's no-op providers).
  const instrumentation = instrumentTokenFlight();
  const api = axios.create({ baseURL: provider.url });
  const handle = attachTokenRefresh(api, {
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' }),
    inject: { header: 'X-Shopify-Access-Token', scheme: null },
  });
  await handle.setToken(provider.authorize());
  const { status } = await api.get('/shopify/admin/api/shop.json');
  assert.equal(status, 200);

  provider.setBehaviour({ tokenFault: 'invalid_grant' });
  await handle.invalidate();
  const error: unknown = await handle.getToken().catch((e: unknown) => e);
  assert.ok(error instanceof ReauthorizationRequiredError);
  handle.detach();
  instrumentation.disable();
  await provider.close();
  console.log('cjs consumer: ok');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
