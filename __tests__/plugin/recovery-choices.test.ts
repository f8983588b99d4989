/**
 * Which token a process starts from when the store lost or cannot give it: its own copy, the
 * durable one (`persist`), or nothing. With a provider that rotates refresh tokens and revokes the
 * family on reuse, starting from anything older than the newest is visible: a reuse detection.
 */
import axios from 'axios';
import { attachTokenRefresh, oauth2, type TokenPersistence, type TokenRefreshOptions, type TokenSet } from '../../lib';
import { ForgetfulStore } from '../helpers/forgetful-store';
import { useFakeProvider } from '../helpers/redis-and-provider';

jest.setTimeout(20_000);

const servers = useFakeProvider();

/** The user's credentials table: rows as `save` wrote them, editable by the test (a restored backup). */
class Table implements TokenPersistence {
  readonly rows = new Map<string, unknown>();
  async load(key: string) {
    return (this.rows.get(key) ?? null) as TokenSet | null;
  }
  async save(key: string, token: TokenSet) {
    this.rows.set(key, JSON.parse(JSON.stringify(token)));
  }
}

function processOn(store: ForgetfulStore, table: Table, options: Partial<TokenRefreshOptions> = {}) {
  const client = axios.create({ baseURL: servers.provider.url });
  const handle = attachTokenRefresh(client, {
    store,
    persist: table,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: servers.provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    // After putting a lost token back, the fleet waits this long for a refresher's write-back.
    refreshTimeoutMs: 300,
    lockTtlMs: 2_000,
    ...options,
  });
  servers.onCleanup(() => handle.detach());
  return { client, handle };
}

describe('the store lost everything', () => {
  it("this process's copy is newer than the durable one (a database restored from a backup): it refreshes from the copy", async () => {
    const store = new ForgetfulStore();
    const table = new Table();
    const a = processOn(store, table);
    await a.handle.setToken(servers.provider.authorize());
    const backup = table.rows.get('default');
    servers.provider.revokeAccessTokens();
    await a.client.get('/refreshes-to-version-2');
    table.rows.set('default', backup); // version 1: its refresh token is spent
    store.forget();
    servers.provider.revokeAccessTokens();

    expect((await a.client.get('/after')).status).toBe(200);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    // Put back: version 2, never the spent version 1 another process could refresh from.
    expect(store.written).toEqual([1, 2, 2, 3]);
  });

  it("the durable copy is newer than this process's (another process refreshed and saved): it refreshes from the durable one", async () => {
    const store = new ForgetfulStore();
    const table = new Table();
    const a = processOn(store, table);
    const b = processOn(store, table);
    await a.handle.setToken(servers.provider.authorize());
    await a.client.get('/a-holds-version-1');
    servers.provider.revokeAccessTokens();
    await b.client.get('/b-refreshes-to-version-2');
    store.forget();
    servers.provider.revokeAccessTokens();

    expect((await a.client.get('/after')).status).toBe(200);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    expect((await store.get('default'))?.version).toBe(3);
  });
});

describe('the store cannot be reached', () => {
  it("a process with no copy of its own starts from the durable one ('local' policy)", async () => {
    const store = new ForgetfulStore();
    const table = new Table();
    await table.save('default', {
      ...servers.provider.authorize(),
      version: 4,
      issuedAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
    } as TokenSet);
    store.down = true;
    const fresh = processOn(store, table, { onStoreError: 'local' });

    const response = await fresh.client.get('/x');

    expect(response.status).toBe(200);
    expect(servers.provider.stats.refreshes).toBe(0);
    expect((await fresh.handle.getToken())?.version).toBe(4);
  });
});

describe('what persist.load answers', () => {
  it('null is "nothing saved": a credential without a refresh token is obtained as usual', async () => {
    const table = new Table();
    const { client } = processOn(new ForgetfulStore(), table, {
      refresh: oauth2.clientCredentialsGrant({ tokenUrl: servers.provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    });

    expect((await client.get('/x')).status).toBe(200);
    expect(servers.provider.stats.clientCredentialsGrants).toBe(1);
    expect((table.rows.get('default') as TokenSet).version).toBe(1);
  });

  it('a version that is not a positive integer is dropped: the token becomes version 1 and is used as it is', async () => {
    for (const version of [0, -3, 2.5, '7']) {
      const table = new Table();
      const seed = servers.provider.authorize();
      table.rows.set('default', { ...seed, version, expiresIn: 3_600 });
      const { handle } = processOn(new ForgetfulStore(), table);
      const token = await handle.getToken();
      expect([version, token?.version, token?.accessToken]).toEqual([version, 1, seed.accessToken]);
    }
    expect(servers.provider.stats.refreshes).toBe(0);
  });
});

describe('setToken after the store went back', () => {
  it("numbers the new token above the newest version this process has seen, not above the store's older one", async () => {
    const store = new ForgetfulStore();
    const table = new Table();
    const a = processOn(store, table);
    const b = processOn(store, table);
    for (let i = 0; i < 3; i++) await a.handle.setToken(servers.provider.authorize());
    store.forget();
    await b.handle.setToken(servers.provider.authorize()); // version 1 in the emptied store

    await a.handle.setToken(servers.provider.authorize());

    expect((await store.get('default'))?.version).toBe(4);
  });
});
