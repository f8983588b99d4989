/**
 * `inject: { header, scheme }`: the token goes where the API reads it, and every guarantee the
 * plugin gives for `Authorization` holds for that header too — allowed origins only, stripped when
 * copied to another origin, removed on redirects off the allowed origins (http and fetch adapters),
 * redacted from errors. Part of the security matrix: runs on every axios version of the peer range.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { attachTokenRefresh, type TokenRefreshHandle, type TokenRefreshOptions } from '../../lib';
import { startApi, type TestApi } from '../helpers/api-server';
import { startVirtualHosts, testLookup, type VirtualHosts } from '../helpers/virtual-hosts';

const ACCESS_TOKEN = `shpat_${randomBytes(24).toString('hex')}`;
const HEADER = 'X-Shopify-Access-Token';
const hasFetchAdapter = Number(axios.VERSION.split('.')[1]) >= 7;

const handles: TokenRefreshHandle[] = [];
const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.detach();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function attached(
  baseURL: string,
  inject: TokenRefreshOptions['inject'],
  defaults: CreateAxiosDefaults = {},
  tokenType?: string,
): Promise<AxiosInstance> {
  const instance = axios.create({ baseURL, ...defaults });
  const handle = attachTokenRefresh(instance, { refresh: async () => ({ accessToken: ACCESS_TOKEN, expiresIn: 3600 }), inject });
  handles.push(handle);
  await handle.setToken({ accessToken: ACCESS_TOKEN, expiresIn: 3600, ...(tokenType === undefined ? {} : { tokenType }) });
  return instance;
}

async function api(status = 200): Promise<TestApi> {
  const server = await startApi(() => ({ status, body: { ok: status === 200 } }));
  servers.push(server);
  return server;
}

const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );

describe(`inject (axios ${axios.VERSION})`, () => {
  it('writes the bare token into the named header, and no Authorization', async () => {
    const server = await api();
    const client = await attached(server.url, { header: HEADER, scheme: null });

    await client.get('/admin/api/shop.json');

    expect(server.requests[0]?.headers['x-shopify-access-token']).toBe(ACCESS_TOKEN);
    expect(server.requests[0]?.authorization).toBeUndefined();
  });

  it('writes `<scheme> <token>` with a scheme, and the tokenType (bearer normalised) without one', async () => {
    const server = await api();
    const withScheme = await attached(server.url, { scheme: 'Token' });
    await withScheme.get('/a');
    const fromTokenType = await attached(server.url, { header: 'X-Api-Token' }, {}, 'bearer');
    await fromTokenType.get('/b');
    const macType = await attached(server.url, undefined, {}, 'MAC');
    await macType.get('/c');

    expect(server.requests.map((r) => [r.authorization, r.headers['x-api-token']])).toEqual([
      [`Token ${ACCESS_TOKEN}`, undefined],
      [undefined, `Bearer ${ACCESS_TOKEN}`],
      [`MAC ${ACCESS_TOKEN}`, undefined],
    ]);
  });

  it('sends no token to another origin, and strips a copy of it carried over to one', async () => {
    const allowed = await api();
    const other = await api();
    const client = await attached(allowed.url, { header: HEADER, scheme: null });

    const first = await client.get('/me');
    await client.get(`${other.url}/collect`);
    // A caller copying the previous request's headers onto a request elsewhere.
    await client.get(`${other.url}/collect`, { headers: { [HEADER]: String(first.config.headers.get(HEADER)) } });

    expect(allowed.requests[0]?.headers['x-shopify-access-token']).toBe(ACCESS_TOKEN);
    expect(other.requests).toHaveLength(2);
    expect(other.requests.map((r) => r.headers['x-shopify-access-token'])).toEqual([undefined, undefined]);
  });

  it('lets a request opt out by setting the header to false', async () => {
    const server = await api();
    const client = await attached(server.url, { header: HEADER, scheme: null });

    await client.get('/public', { headers: { [HEADER]: false } });

    expect(server.requests[0]?.headers['x-shopify-access-token']).toBeUndefined();
  });

  it('redacts the header from errors: the token by value, and the whole header by field', async () => {
    const server = await api(500);
    const instance = axios.create({ baseURL: server.url });
    const signature = `sig_${randomBytes(16).toString('hex')}`;
    // Registered before the plugin, so it runs after it: the header sent is no longer a value the plugin knows.
    instance.interceptors.request.use((config) => {
      config.headers.set(HEADER, `${String(config.headers.get(HEADER))}.${signature}`);
      return config;
    });
    const handle = attachTokenRefresh(instance, {
      refresh: async () => ({ accessToken: ACCESS_TOKEN }),
      inject: { header: HEADER, scheme: null },
    });
    handles.push(handle);
    await handle.setToken({ accessToken: ACCESS_TOKEN, expiresIn: 3600 });

    const error = await settle(instance.get('/boom'));

    expect(server.requests[0]?.headers['x-shopify-access-token']).toBe(`${ACCESS_TOKEN}.${signature}`);
    expect(axios.isAxiosError(error) && error.response?.status).toBe(500);
    const rendered = `${inspect(error, { depth: Infinity })}\n${JSON.stringify(error)}`;
    expect(rendered).not.toContain(ACCESS_TOKEN);
    expect(rendered).not.toContain(signature);
  });

  it.each([
    [{ header: 'Bad Header' }, 'inject.header'],
    [{ header: 'Host' }, 'inject.header'],
    [{ header: 'cookie' }, 'inject.header'],
    [{ header: '' }, 'inject.header'],
    [{ scheme: 'Two words' }, 'inject.scheme'],
    [{ scheme: '' }, 'inject.scheme'],
    [{ headers: 'X-Typo' }, 'unknown option `headers`'],
    ['Authorization', 'inject'],
  ])('refuses inject %p at attach time with a TypeError naming %s', (inject, named) => {
    const attach = (): unknown =>
      attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
        refresh: async () => ({ accessToken: 'x' }),
        inject: inject as TokenRefreshOptions['inject'],
      });
    expect(attach).toThrow(TypeError);
    expect(attach).toThrow(named);
  });
});

describe(`inject through redirects (axios ${axios.VERSION})`, () => {
  let hosts: VirtualHosts;
  beforeEach(async () => {
    hosts = await startVirtualHosts((request) => {
      const to = (host: string, path: string) => ({ status: 302, headers: { location: `http://${host}:${hosts.port}${path}` } });
      if (request.path === '/to-subdomain') return to('evil.api.test', '/collect');
      if (request.path === '/to-other-domain') return to('evil.test', '/collect');
      if (request.path === '/to-localhost') return to('localhost', '/collect');
      if (request.path === '/to-same-origin') return { status: 302, headers: { location: '/me' } };
      return request.headers['x-shopify-access-token'] === ACCESS_TOKEN ? { body: { ok: true } } : { status: 401 };
    });
    servers.push(hosts);
  });
  const tokenSeenBy = (host: string): boolean => hosts.to(host).some((r) => JSON.stringify(r.headers).includes(ACCESS_TOKEN));

  it.each(['/to-subdomain', '/to-other-domain'])(
    'http adapter: %s does not carry the custom header (follow-redirects keeps it)',
    async (path) => {
      const client = await attached(hosts.origin('api.test'), { header: HEADER, scheme: null }, {
        lookup: testLookup,
      } as CreateAxiosDefaults);

      await settle(client.get(path));

      expect(hosts.requests).toHaveLength(2);
      expect(tokenSeenBy('evil.api.test') || tokenSeenBy('evil.test')).toBe(false);
    },
  );

  it('http adapter: a redirect within the allowed origin keeps it', async () => {
    const client = await attached(hosts.origin('api.test'), { header: HEADER, scheme: null }, {
      lookup: testLookup,
    } as CreateAxiosDefaults);

    const response = await client.get('/to-same-origin');

    expect(response.data).toEqual({ ok: true });
    expect(hosts.to('api.test').map((r) => r.headers['x-shopify-access-token'])).toEqual([ACCESS_TOKEN, ACCESS_TOKEN]);
  });

  it("http adapter: the caller's own headers follow a redirect to another origin; only the token is removed", async () => {
    const client = await attached(hosts.origin('api.test'), { header: HEADER, scheme: null }, {
      lookup: testLookup,
    } as CreateAxiosDefaults);

    await settle(client.get('/to-other-domain', { headers: { 'X-Trace': 'trace-1' } }));

    expect(hosts.to('evil.test').map((r) => [r.headers['x-trace'], r.headers['x-shopify-access-token']])).toEqual([['trace-1', undefined]]);
  });

  it("http adapter: a value of the caller's own under that header name is theirs to send anywhere (only the plugin's tokens are removed)", async () => {
    const client = await attached(hosts.origin('api.test'), { header: HEADER, scheme: null }, {
      lookup: testLookup,
    } as CreateAxiosDefaults);

    await settle(client.get('/to-other-domain', { headers: { [HEADER]: 'callers-own-value' }, tokenFlight: { skip: true } }));

    expect(hosts.to('evil.test').map((r) => r.headers['x-shopify-access-token'])).toEqual(['callers-own-value']);
  });

  (hasFetchAdapter ? it : it.skip)(
    'fetch adapter: the redirect is not followed (fetch would carry the header anywhere); the 3xx is the answer',
    async () => {
      const client = await attached(`http://127.0.0.1:${hosts.port}`, { header: HEADER, scheme: null }, {
        adapter: 'fetch',
      } as CreateAxiosDefaults);

      const result = await settle(client.get('/to-localhost', { validateStatus: () => true }));

      expect(hosts.to('localhost')).toHaveLength(0);
      expect(tokenSeenBy('localhost')).toBe(false);
      expect((result as { status?: number }).status).toBe(302);
    },
  );

  (hasFetchAdapter ? it : it.skip)(
    "fetch adapter named first in a list (['fetch', 'http']): the redirect is not followed either",
    async () => {
      const client = await attached(`http://127.0.0.1:${hosts.port}`, { header: HEADER, scheme: null }, {
        adapter: ['fetch', 'http'],
      } as CreateAxiosDefaults);

      const result = await settle(client.get('/to-localhost', { validateStatus: () => true }));

      expect(hosts.to('localhost')).toHaveLength(0);
      expect((result as { status?: number }).status).toBe(302);
    },
  );

  (hasFetchAdapter ? it : it.skip)(
    'fetch adapter with Authorization: redirects are still followed (fetch drops Authorization itself)',
    async () => {
      const instance = axios.create({ baseURL: `http://127.0.0.1:${hosts.port}`, adapter: 'fetch' } as CreateAxiosDefaults);
      const handle = attachTokenRefresh(instance, { refresh: async () => ({ accessToken: ACCESS_TOKEN }) });
      handles.push(handle);
      await handle.setToken({ accessToken: ACCESS_TOKEN, expiresIn: 3600 });

      await settle(instance.get('/to-localhost'));

      expect(hosts.to('localhost').length).toBeGreaterThanOrEqual(1);
      expect(tokenSeenBy('localhost')).toBe(false);
    },
  );
});
