/**
 * Redirects never carry the token to an origin that is not allowed, on every axios version of the
 * peer range (AXIOS_UNDER_TEST=<version>): the Node http adapter (follow-redirects, which keeps
 * `Authorization` for a subdomain on the same port) and, where axios has it, the fetch adapter.
 */
import { randomBytes } from 'node:crypto';
import axios, { type AxiosInstance, type AxiosRequestConfig, type CreateAxiosDefaults } from 'axios';
import { attachTokenRefresh, type TokenRefreshHandle } from '../../lib';
import { startVirtualHosts, testLookup, type VirtualHosts } from '../helpers/virtual-hosts';

const ACCESS_TOKEN = `at_${randomBytes(24).toString('base64url')}`;
const hasFetchAdapter = Number(axios.VERSION.split('.')[1]) >= 7;

let hosts: VirtualHosts;
let refreshes: number;
const handles: TokenRefreshHandle[] = [];

beforeEach(async () => {
  refreshes = 0;
  hosts = await startVirtualHosts((request) => {
    const to = (host: string, path: string) => ({ status: 302, headers: { location: `http://${host}:${hosts.port}${path}` } });
    if (request.path === '/to-subdomain') return to('evil.api.test', '/collect');
    if (request.path === '/to-other-domain') return to('evil.test', '/collect');
    if (request.path === '/to-same-origin') return { status: 302, headers: { location: '/me' } };
    if (request.path === '/to-localhost') return to('localhost', '/collect');
    if (request.path === '/to-evil-and-back')
      return request.host === 'evil.test' ? to('api.test', '/me') : to('evil.test', '/to-evil-and-back');
    const authorised = request.headers.authorization === `Bearer ${ACCESS_TOKEN}`;
    return authorised ? { body: { ok: true, host: request.host } } : { status: 401 };
  });
});
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.detach();
  await hosts.close();
});

async function attached(origin: string, defaults: CreateAxiosDefaults = {}): Promise<AxiosInstance> {
  const instance = axios.create({ baseURL: origin, lookup: testLookup, ...defaults } as CreateAxiosDefaults);
  const handle = attachTokenRefresh(instance, {
    refresh: async () => {
      refreshes += 1;
      return { accessToken: ACCESS_TOKEN, expiresIn: 3600 };
    },
  });
  handles.push(handle);
  await handle.setToken({ accessToken: ACCESS_TOKEN, expiresIn: 3600 });
  return instance;
}

function tokenSeenBy(host: string): boolean {
  return hosts.to(host).some((r) => JSON.stringify(r.headers).includes(ACCESS_TOKEN));
}

const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );

describe(`redirects (axios ${axios.VERSION}, http adapter)`, () => {
  it('do not carry the token to a subdomain of the allowed host on the same port', async () => {
    const api = await attached(hosts.origin('api.test'));

    const result = await settle(api.get('/to-subdomain'));

    expect(hosts.to('evil.api.test')).toHaveLength(1);
    expect(tokenSeenBy('evil.api.test')).toBe(false);
    // The subdomain's 401 answers a request that carried no token of ours: returned as is, no refresh.
    expect(axios.isAxiosError(result) && result.response?.status).toBe(401);
    expect(refreshes).toBe(0);
  });

  it('do not carry the token to another domain', async () => {
    const api = await attached(hosts.origin('api.test'));

    await settle(api.get('/to-other-domain'));

    expect(hosts.to('evil.test')).toHaveLength(1);
    expect(tokenSeenBy('evil.test')).toBe(false);
  });

  it('do not carry it back either, after a hop through another origin', async () => {
    const api = await attached(hosts.origin('api.test'));

    await settle(api.get('/to-evil-and-back'));

    expect(tokenSeenBy('evil.test')).toBe(false);
    expect(refreshes).toBe(0);
  });

  it('keep working within the allowed origin, with the token', async () => {
    const api = await attached(hosts.origin('api.test'));

    const response = await api.get('/to-same-origin');

    expect(response.data).toEqual({ ok: true, host: 'api.test' });
    expect(hosts.to('api.test').map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/to-same-origin', `Bearer ${ACCESS_TOKEN}`],
      ['/me', `Bearer ${ACCESS_TOKEN}`],
    ]);
  });

  it("still run the caller's own beforeRedirect hook", async () => {
    const seen: string[] = [];
    const api = await attached(hosts.origin('api.test'), {
      beforeRedirect: (options: Record<string, unknown>) => {
        seen.push(String(options['href']));
      },
    } as CreateAxiosDefaults);

    await settle(api.get('/to-subdomain'));
    await settle(
      api.get('/to-subdomain', {
        beforeRedirect: (options: Record<string, unknown>) => seen.push(`per-request ${String(options['href'])}`),
      }),
    );

    expect(seen).toEqual([`http://evil.api.test:${hosts.port}/collect`, `per-request http://evil.api.test:${hosts.port}/collect`]);
    expect(tokenSeenBy('evil.api.test')).toBe(false);
  });

  it('guard a request whose own beforeRedirect is null', async () => {
    const api = await attached(hosts.origin('api.test'));

    await settle(api.get('/to-subdomain', { beforeRedirect: null } as unknown as AxiosRequestConfig));

    expect(hosts.to('evil.api.test')).toHaveLength(1);
    expect(tokenSeenBy('evil.api.test')).toBe(false);
  });
});

describe('detach()', () => {
  it('gives the instance back its own transformRequest and beforeRedirect', async () => {
    const callersHook = (): void => undefined;
    const instance = axios.create({ baseURL: hosts.origin('api.test'), beforeRedirect: callersHook } as CreateAxiosDefaults);
    const transformsBefore = [...(instance.defaults.transformRequest as unknown[])];
    const handle = attachTokenRefresh(instance, { refresh: async () => ({ accessToken: ACCESS_TOKEN }) });
    expect(instance.defaults.beforeRedirect).not.toBe(callersHook);

    handle.detach();

    expect(instance.defaults.transformRequest).toEqual(transformsBefore);
    expect(instance.defaults.beforeRedirect).toBe(callersHook);
  });

  it('leaves no beforeRedirect behind on an instance that had none', () => {
    const instance = axios.create({ baseURL: hosts.origin('api.test') });
    const handle = attachTokenRefresh(instance, { refresh: async () => ({ accessToken: ACCESS_TOKEN }) });
    expect(instance.defaults.beforeRedirect).toBeInstanceOf(Function);

    handle.detach();

    expect(instance.defaults.beforeRedirect).toBeUndefined();
  });
});

(hasFetchAdapter ? describe : describe.skip)(`redirects (axios ${axios.VERSION}, fetch adapter; axios < 1.7 has none)`, () => {
  it('do not carry the token to another origin: the fetch implementation drops Authorization', async () => {
    const api = await attached(`http://127.0.0.1:${hosts.port}`, { adapter: 'fetch' } as CreateAxiosDefaults);

    await settle(api.get('/to-localhost'));

    // fetch does not say where a redirect led, so the target's 401 may be answered with a refresh
    // and replays (bounded by maxReplays); what matters here is that none of them carried the token.
    expect(hosts.to('localhost').length).toBeGreaterThanOrEqual(1);
    expect(tokenSeenBy('localhost')).toBe(false);
  });

  it('keep working within the allowed origin, with the token', async () => {
    const api = await attached(`http://127.0.0.1:${hosts.port}`, { adapter: 'fetch' } as CreateAxiosDefaults);

    const response = await api.get('/to-same-origin');

    expect(response.status).toBe(200);
    expect(hosts.to('127.0.0.1').map((r) => r.headers.authorization)).toEqual([`Bearer ${ACCESS_TOKEN}`, `Bearer ${ACCESS_TOKEN}`]);
  });
});
