/**
 * `TokenSet.extra`: the token response's other fields (Salesforce `instance_url`, OIDC `id_token`,
 * `scope`…) are kept through refreshes, stored — encrypted with `encryptionKey` — and visible via
 * `getToken()` and `ctx.current`; plus the Salesforce and Shopify recipes of docs/providers.md,
 * run end to end against the fake provider.
 */
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, oauth2, RedisTokenStore, RefreshFailedError, type RefreshContext } from '../../lib';
import { startFakeProvider, startRedisServer, type FakeProvider, type RedisServer } from '../../lib/testing';
import { salesforceOrgs } from '../../examples/recipes/salesforce-orgs';
import { shopifyAdmin } from '../../examples/recipes/shopify';
import { createRedis } from '../helpers/redis-client';
import { testLookup } from '../helpers/virtual-hosts';
import { Cleanups } from '../helpers/setup';

let provider: FakeProvider;
const cleanups = new Cleanups();
beforeEach(async () => {
  provider = await startFakeProvider();
  cleanups.push(() => provider.close());
});
afterEach(async () => {
  await cleanups.run();
});

const ID_TOKEN = `eyJ${randomBytes(30).toString('base64url')}`;

describe('TokenSet.extra', () => {
  it('keeps the token response fields through refreshes, visible in getToken() and ctx.current', async () => {
    const seen: Array<RefreshContext['current']> = [];
    const grant = oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' });
    const api = axios.create({ baseURL: provider.url });
    const handle = attachTokenRefresh(api, {
      refresh: (ctx) => {
        seen.push(ctx.current);
        return grant(ctx);
      },
    });
    cleanups.push(() => handle.detach());
    const seed = provider.authorize({ instance_url: 'https://acme.my.salesforce.com', scope: 'api refresh_token', id_token: ID_TOKEN });

    await handle.setToken(seed);
    provider.revokeAccessTokens();
    await api.get('/me');
    provider.revokeAccessTokens();
    await api.get('/me');
    const token = await handle.getToken();

    expect(token.version).toBe(3);
    expect(token.extra).toEqual({ instance_url: 'https://acme.my.salesforce.com', scope: 'api refresh_token', id_token: ID_TOKEN });
    expect(seen.map((current) => current?.extra['instance_url'])).toEqual([
      'https://acme.my.salesforce.com',
      'https://acme.my.salesforce.com',
    ]);
    expect(Object.isFrozen(token.extra)).toBe(true);
  });

  it('keeps a field a refresh omits (an OIDC refresh often has no id_token), and takes the new value of one it sends', async () => {
    let call = 0;
    const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
      refresh: async () => {
        call += 1;
        return { accessToken: `at-${call}`, extra: { scope: `scope-${call}` } };
      },
    });
    cleanups.push(() => handle.detach());

    await handle.setToken({ accessToken: 'seed', extra: { id_token: ID_TOKEN, scope: 'seed-scope' } });
    await handle.invalidate();
    const token = await handle.getToken();

    expect(token.accessToken).toBe('at-1');
    expect(token.extra).toEqual({ id_token: ID_TOKEN, scope: 'scope-1' });
  });

  it('is `{}` when there are none', async () => {
    const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
      refresh: async () => ({ accessToken: 'x' }),
    });
    cleanups.push(() => handle.detach());

    expect((await handle.setToken({ accessToken: 'seed' })).extra).toEqual({});
  });

  it.each([
    ['an array', ['x']],
    ['a string', 'instance_url'],
    [
      'a cycle',
      (() => {
        const cyclic: Record<string, unknown> = {};
        cyclic['self'] = cyclic;
        return cyclic;
      })(),
    ],
    ['a BigInt', { n: BigInt(1) }],
    ['over 64 KiB', { blob: 'x'.repeat(64 * 1024) }],
  ])('refuses extra that is %s: TypeError from setToken, RefreshFailedError from a refresh', async (_what, extra) => {
    const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
      refresh: async () => ({ accessToken: 'fresh', extra: extra as Record<string, unknown> }),
    });
    cleanups.push(() => handle.detach());

    await expect(handle.setToken({ accessToken: 'seed', extra: extra as Record<string, unknown> })).rejects.toThrow(TypeError);
    await expect(handle.getToken()).rejects.toThrow(RefreshFailedError);
  });
});

describe('TokenSet.extra in Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  it('is stored encrypted with encryptionKey, and another process reads it back', async () => {
    const encryptionKey = randomBytes(32);
    const [writerClient, readerClient, rawClient] = [createRedis(redis.port), createRedis(redis.port), createRedis(redis.port)];
    cleanups.push(() => Promise.all([writerClient.quit(), readerClient.quit(), rawClient.quit()]));
    const prefix = `extra-${randomBytes(4).toString('hex')}`;
    const writer = attachTokenRefresh(axios.create({ baseURL: provider.url }), {
      store: new RedisTokenStore(writerClient, { prefix, encryptionKey }),
      refresh: async () => ({ accessToken: 'unused' }),
    });
    const reader = attachTokenRefresh(axios.create({ baseURL: provider.url }), {
      store: new RedisTokenStore(readerClient, { prefix, encryptionKey }),
      refresh: async () => ({ accessToken: 'unused' }),
    });
    cleanups.push(
      () => writer.detach(),
      () => reader.detach(),
    );

    await writer.setToken({
      accessToken: 'at-1',
      expiresIn: 3600,
      extra: { instance_url: 'https://acme.my.salesforce.com', id_token: ID_TOKEN },
    });

    expect((await reader.getToken()).extra).toEqual({ instance_url: 'https://acme.my.salesforce.com', id_token: ID_TOKEN });
    const raw = JSON.stringify(await rawClient.call('HGETALL', `${prefix}:{default}:token`));
    expect(raw).toContain('v2:');
    expect(raw).not.toContain('acme.my.salesforce.com');
    expect(raw).not.toContain(ID_TOKEN);
  });

  it('reads a value written before extra existed as `{}`', async () => {
    const client = createRedis(redis.port);
    cleanups.push(() => client.quit());
    const prefix = `legacy-${randomBytes(4).toString('hex')}`;
    const legacy = { accessToken: 'at-legacy', version: 1, issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000 };
    await client.call('HSET', `${prefix}:{default}:token`, 'v', '1', 'd', JSON.stringify(legacy));
    const handle = attachTokenRefresh(axios.create({ baseURL: provider.url }), {
      store: new RedisTokenStore(client, { prefix }),
      refresh: async () => ({ accessToken: 'unused' }),
    });
    cleanups.push(() => handle.detach());

    const token = await handle.getToken();

    expect(token.accessToken).toBe('at-legacy');
    expect(token.extra).toEqual({});
  });
});

describe('recipes (docs/providers.md)', () => {
  it('Salesforce: each org is called at its own instance_url, kept through refreshes; no token crosses orgs', async () => {
    // The orgs' hosts (*.test) resolve to this machine; axios.create() in the recipe takes the global default.
    axios.defaults.lookup = testLookup as NonNullable<typeof axios.defaults.lookup>;
    cleanups.push(() => {
      delete axios.defaults.lookup;
    });
    const port = new URL(provider.url).port;
    const store = new MemoryTokenStore();
    const orgs = salesforceOrgs({ store, tokenUrl: provider.tokenUrl, clientId: 'connected-app' });
    cleanups.push(() => orgs.close());
    const acme = provider.authorize({ instance_url: `http://acme.test:${port}` });
    const globex = provider.authorize({ instance_url: `http://globex.test:${port}` });

    await orgs.connect('acme', acme);
    await orgs.connect('globex', globex);
    provider.revokeAccessTokens();
    const acmeClient = await orgs.clientFor('acme');
    const globexClient = await orgs.clientFor('globex');
    const answers = [await acmeClient.get('/services/data/v61.0/sobjects'), await globexClient.get('/services/data/v61.0/sobjects')];

    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers.map((answer) => answer.request?.host)).toEqual(['acme.test', 'globex.test']);
    expect(provider.stats.refreshes).toBe(2);
    expect((await store.get('salesforce:acme'))?.extra['instance_url']).toBe(`http://acme.test:${port}`);
    expect((await store.get('salesforce:globex'))?.version).toBe(2);
    await expect(orgs.clientFor('initech')).rejects.toThrow('not connected');
  });

  it('Shopify: the bare token goes in X-Shopify-Access-Token; a rejection is refreshed and replayed', async () => {
    const { client, handle } = shopifyAdmin({
      shopUrl: `${provider.url}/shopify`,
      store: new MemoryTokenStore(),
      tokenUrl: provider.tokenUrl,
      clientId: 'app',
    });
    cleanups.push(() => handle.detach());
    await handle.setToken(provider.authorize());
    provider.revokeAccessTokens();

    const response = await client.get('/shopify/admin/api/2024-10/shop.json');

    expect(response.status).toBe(200);
    expect(provider.stats.refreshes).toBe(1);
    expect(provider.stats.apiRequestsByStatus).toEqual({ 200: 1, 401: 1 });
    expect(response.config.headers['X-Shopify-Access-Token']).toBe((await handle.getToken()).accessToken);
    expect(response.config.headers['Authorization']).toBeUndefined();
  });
});
