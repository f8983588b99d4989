import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, oauth2, type TokenStore } from '../../lib';
import { startFakeProvider, type FakeProvider } from '../../lib/testing';
import { ForgetfulStore } from '../helpers/forgetful-store';
import { recordingLogger } from '../helpers/setup';

let provider: FakeProvider;
afterEach(() => provider.close());

it('a store that lost its data is re-seeded from the in-process copy, instead of asking the user to re-authorise', async () => {
  provider = await startFakeProvider();
  const store = new ForgetfulStore();
  const client = axios.create({ baseURL: provider.url });
  const handle = attachTokenRefresh(client, {
    store,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    // The wait for another refresher's write-back after putting a lost token back lasts refreshTimeoutMs.
    refreshTimeoutMs: 500,
    lockTtlMs: 2_000,
  });
  try {
    await handle.setToken(provider.authorize());
    await client.get('/before');

    store.forget(); // Redis restarted empty
    provider.revokeAccessTokens(); // and the access token is rejected: a refresh is needed

    const response = await client.get('/after');

    expect(response.status).toBe(200);
    expect(provider.stats.refreshes).toBe(1);
    expect(provider.stats.reuseDetections).toBe(0);
    const restored = await store.get('default');
    expect(restored?.version).toBe(2); // continues the version history it had
    expect(restored?.refreshToken).toMatch(/^rt_/);
  } finally {
    handle.detach();
  }
});

it("a refresh whose write fails because the store died keeps the new tokens and writes them back ('fail' policy, rotation)", async () => {
  provider = await startFakeProvider();
  const shared = new MemoryTokenStore();
  let failWrites = false;
  // The store dies between the token endpoint's answer and the fenced write.
  const store: TokenStore = {
    get: (k) => shared.get(k),
    compareAndSet: (k, n, v, o) => (failWrites ? Promise.reject(new Error('ECONNRESET')) : shared.compareAndSet(k, n, v, o)),
    acquireLock: (k, o, t) => shared.acquireLock(k, o, t),
    releaseLock: (k, o) => shared.releaseLock(k, o),
  };
  const refresh = oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'c', clientSecret: 's' });
  const first = axios.create({ baseURL: provider.url });
  const second = axios.create({ baseURL: provider.url });
  const { logger, warnings } = recordingLogger();
  const handleFirst = attachTokenRefresh(first, { store, refresh, onStoreError: 'fail', logger });
  const handleSecond = attachTokenRefresh(second, { store: shared, refresh, onStoreError: 'fail' });
  try {
    await handleFirst.setToken(provider.authorize());
    await first.get('/warm');
    provider.revokeAccessTokens();
    failWrites = true;

    const response = await first.get('/refresh-cannot-be-saved');
    expect(response.status).toBe(200); // the new token is used, not thrown away
    expect(warnings).toContainEqual([
      { key: 'default' },
      'axios-token-flight: refreshed, but the store failed; keeping the new tokens in-process until it answers',
    ]);
    expect(JSON.stringify(warnings)).not.toContain((await handleFirst.getToken())?.accessToken);

    failWrites = false; // the store is back: the new token set is written back within a probe interval
    const deadline = Date.now() + 3_000;
    while ((await shared.get('default'))?.version !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await shared.get('default'))?.version).toBe(2);

    provider.revokeAccessTokens();
    await second.get('/another-process-refreshes'); // from the rotated refresh token, not the spent one
    expect(provider.stats.reuseDetections).toBe(0);
  } finally {
    handleFirst.detach();
    handleSecond.detach();
  }
});
