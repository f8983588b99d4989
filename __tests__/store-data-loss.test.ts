import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, oauth2, type TokenSet, type TokenStore } from '../lib';
import { startFakeProvider, type FakeProvider } from '../lib/testing';

/** A store whose backend can lose everything (a Redis without persistence, restarted). */
class ForgetfulStore implements TokenStore {
  #inner = new MemoryTokenStore();
  forget(): void {
    this.#inner = new MemoryTokenStore();
  }
  get(key: string) {
    return this.#inner.get(key);
  }
  compareAndSet(key: string, next: TokenSet, expected: number, owner: string) {
    return this.#inner.compareAndSet(key, next, expected, owner);
  }
  acquireLock(key: string, owner: string, ttl: number) {
    return this.#inner.acquireLock(key, owner, ttl);
  }
  releaseLock(key: string, owner: string) {
    return this.#inner.releaseLock(key, owner);
  }
}

let provider: FakeProvider;
afterEach(() => provider.close());

it('a store that lost its data is re-seeded from the in-process copy, instead of asking the user to re-authorise', async () => {
  provider = await startFakeProvider();
  const store = new ForgetfulStore();
  const client = axios.create({ baseURL: provider.url });
  const handle = attachTokenRefresh(client, { store, refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'c', clientSecret: 's' }) });
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
