/**
 * The token reaches allowed origins only, however loosely a request is written: `allowAbsoluteUrls`
 * given as `0`/`''`/`null`, a `String` object as `url`, the fetch adapter spelt any way, a request
 * axios logs in itself (`auth`, `user@host`), copied tokens in arrays or after a tab, a transform
 * appended after the plugin ran. Part of the security matrix: runs on every axios minor of the peer
 * range (AXIOS_UNDER_TEST), whose URL resolution and adapters differ.
 */
import { randomBytes } from 'node:crypto';
import axios, { type AxiosInstance, type CreateAxiosDefaults, type InternalAxiosRequestConfig } from 'axios';
import { TokenFlightError, type TokenRefreshHandle, type TokenRefreshOptions } from '../../lib';
import { attachSeeded } from '../helpers/seeded';
import { startVirtualHosts, testLookup, type VirtualHosts } from '../helpers/virtual-hosts';

const ACCESS_TOKEN = `at_${randomBytes(24).toString('base64url')}`;
const minor = Number(axios.VERSION.split('.')[1]);
const hasFetchAdapter = minor >= 7;

let hosts: VirtualHosts;
let refreshes: number;
const handles: TokenRefreshHandle[] = [];

beforeEach(async () => {
  refreshes = 0;
  hosts = await startVirtualHosts((request) => {
    const to = (host: string) => ({ status: 307, headers: { location: `http://${host}:${hosts.port}/collect` } });
    if (request.path.endsWith('/to-localhost')) return to('localhost');
    if (request.path.endsWith('/to-evil')) return to('evil.test');
    const presented = request.headers['x-api-token'] ?? request.headers.authorization;
    return request.host === 'api.test' || request.host === '127.0.0.1'
      ? presented === ACCESS_TOKEN || presented === `Bearer ${ACCESS_TOKEN}`
        ? { body: { ok: true } }
        : { status: 401 }
      : { status: 401 };
  });
});
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.detach();
  await hosts.close();
});

async function attached(
  baseURL: string,
  options: Partial<TokenRefreshOptions> = {},
  defaults: CreateAxiosDefaults = {},
  before?: (instance: AxiosInstance) => void,
): Promise<AxiosInstance> {
  const instance = axios.create({ baseURL, lookup: testLookup, ...defaults } as CreateAxiosDefaults);
  before?.(instance);
  handles.push(await attachSeeded(instance, ACCESS_TOKEN, options, () => (refreshes += 1)));
  return instance;
}

/** Requests that carried the token to a host that is not the API. */
function leaks(apiHost = 'api.test'): string[] {
  return hosts.requests
    .filter((r) => r.host !== apiHost && JSON.stringify(r.headers).includes(ACCESS_TOKEN))
    .map((r) => `${r.host}${r.path}`);
}

const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );

describe(`ambiguous destinations (axios ${axios.VERSION})`, () => {
  it.each([
    ['0', 0],
    ["''", ''],
    ['[]', []],
    ['null', null],
    ['false', false],
  ])('allowAbsoluteUrls: %s with a per-request baseURL elsewhere: no token, wherever this axios sends it', async (_, loose) => {
    const api = await attached(hosts.origin('api.test'));

    await settle(api.get(`${hosts.origin('api.test')}/data`, { baseURL: hosts.origin('evil.test'), allowAbsoluteUrls: loose } as never));

    expect(hosts.requests).toHaveLength(1);
    expect(leaks()).toEqual([]);
    expect(refreshes).toBe(0);
  });

  it('allowAbsoluteUrls given loosely with every candidate allowed still carries the token', async () => {
    const api = await attached(hosts.origin('api.test'));

    const response = await api.get(`${hosts.origin('api.test')}/data`, { allowAbsoluteUrls: 0 } as never);

    expect(response.status).toBe(200);
    expect(hosts.to('api.test')[0]?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
  });

  it.each([
    ['a String object', () => new String(`${hosts.origin('api.test')}/data`)],
    ['a URL object', () => new URL(`${hosts.origin('api.test')}/data`)],
  ])('%s as url with a per-request baseURL elsewhere: no token, wherever this axios sends it', async (_, url) => {
    const api = await attached(hosts.origin('api.test'));

    await settle(api.request({ url: url() as unknown as string, baseURL: hosts.origin('evil.test') }));

    // Newer axios refuse a URL object joined to a baseURL; either way nothing reaches evil.test with the token.
    expect(hosts.requests.length).toBeLessThanOrEqual(1);
    expect(leaks()).toEqual([]);
    expect(refreshes).toBe(0);
  });

  it('plain requests to the API still carry the token', async () => {
    const api = await attached(hosts.origin('api.test'));

    await api.get('/me');
    await api.get(`${hosts.origin('api.test')}/me`);

    expect(hosts.to('api.test').map((r) => r.headers.authorization)).toEqual([`Bearer ${ACCESS_TOKEN}`, `Bearer ${ACCESS_TOKEN}`]);
  });
});

describe(`a custom header never follows a cross-origin redirect, however fetch is selected (axios ${axios.VERSION})`, () => {
  const spellings: Array<[string, () => unknown]> = [
    ["'Fetch'", () => 'Fetch'],
    ["['xhr', 'fetch'] (no XMLHttpRequest on Node)", () => ['xhr', 'fetch']],
    ['the adapter function itself', () => axios.getAdapter('fetch')],
  ];
  (hasFetchAdapter ? it.each(spellings) : it.skip.each(spellings))(
    '%s: the API gets the token, the redirect target never does',
    async (_, adapter) => {
      const client = await attached(`http://127.0.0.1:${hosts.port}`, { inject: { header: 'X-Api-Token', scheme: null } }, {
        adapter: adapter(),
      } as CreateAxiosDefaults);

      await settle(client.get('/to-localhost', { validateStatus: () => true }));

      expect(hosts.to('127.0.0.1')[0]?.headers['x-api-token']).toBe(ACCESS_TOKEN);
      expect(leaks('127.0.0.1')).toEqual([]);
    },
  );

  (hasFetchAdapter ? it : it.skip)('the fetch adapter chosen by the global axios default, too', async () => {
    const saved = axios.defaults.adapter;
    axios.defaults.adapter = 'fetch' as never;
    try {
      const client = await attached(`http://127.0.0.1:${hosts.port}`, { inject: { header: 'X-Api-Token', scheme: null } }, {
        adapter: undefined,
      } as unknown as CreateAxiosDefaults);
      await settle(client.get('/to-localhost', { validateStatus: () => true }));
    } finally {
      axios.defaults.adapter = saved as never;
    }

    expect(hosts.to('127.0.0.1')).toHaveLength(1);
    expect(leaks('127.0.0.1')).toEqual([]);
  });
});

describe(`requests axios logs in itself are not the plugin's (axios ${axios.VERSION})`, () => {
  it('`auth`: no token sent, no refresh on its 401, the caller gets the 401, and the next request works without a refresh', async () => {
    const api = await attached(hosts.origin('api.test'));

    const results = await Promise.all(
      Array.from({ length: 6 }, () => settle(api.get('/basic', { auth: { username: 'u', password: 'p' } }))),
    );
    const next = await api.get('/me');

    expect(refreshes).toBe(0);
    for (const result of results) {
      expect(result).not.toBeInstanceOf(TokenFlightError);
      expect((result as { response?: { status?: number } }).response?.status).toBe(401);
    }
    expect(hosts.requests.slice(0, 6).every((r) => r.headers.authorization?.startsWith('Basic ') === true)).toBe(true);
    expect(next.status).toBe(200);
  });

  it('a user name in the URL: no token, no refresh', async () => {
    const api = await attached(hosts.origin('api.test'));

    const result = await settle(api.get(`http://u:p@api.test:${hosts.port}/basic`));

    expect(refreshes).toBe(0);
    expect((result as { response?: { status?: number } }).response?.status).toBe(401);
    expect(JSON.stringify(hosts.requests)).not.toContain(ACCESS_TOKEN);
  });

  it('`auth` added by an interceptor that runs after ours: no refresh either', async () => {
    const api = await attached(hosts.origin('api.test'), {}, {}, (instance) => {
      // Registered before attach, so it runs after the plugin's request interceptor.
      instance.interceptors.request.use(
        (config) =>
          (config.url === '/basic' ? { ...config, auth: { username: 'u', password: 'p' } } : config) as InternalAxiosRequestConfig,
      );
    });

    const result = await settle(api.get('/basic'));

    expect(refreshes).toBe(0);
    expect((result as { response?: { status?: number } }).response?.status).toBe(401);
  });

  it('with a custom header, axios does not replace it: `auth` requests still carry the token', async () => {
    const api = await attached(hosts.origin('api.test'), { inject: { header: 'X-Api-Token', scheme: null } });

    await settle(api.get('/me', { auth: { username: 'u', password: 'p' } }));

    expect(hosts.to('api.test')[0]?.headers['x-api-token']).toBe(ACCESS_TOKEN);
  });
});

describe(`copied tokens in every header shape (axios ${axios.VERSION})`, () => {
  it.each([
    ['an array value', [`Bearer ${ACCESS_TOKEN}`]],
    ['a tab after the scheme', `Bearer\t${ACCESS_TOKEN}`],
    ['spaces around it', `  Bearer   ${ACCESS_TOKEN}  `],
  ])('%s copied onto a request to another origin is stripped', async (_, value) => {
    const api = await attached(hosts.origin('api.test'));

    await settle(api.get(`${hosts.origin('evil.test')}/collect`, { headers: { Authorization: value as string } }));

    expect(hosts.to('evil.test')).toHaveLength(1);
    expect(leaks()).toEqual([]);
  });

  it('a transform appended by an interceptor that runs after ours, re-pointing the URL: the token does not follow', async () => {
    const api = await attached(hosts.origin('api.test'), {}, {}, (instance) => {
      instance.interceptors.request.use((config) => {
        const transforms = Array.isArray(config.transformRequest)
          ? config.transformRequest
          : config.transformRequest === undefined
            ? []
            : [config.transformRequest];
        config.transformRequest = [
          ...transforms,
          function repoint(this: InternalAxiosRequestConfig, data: unknown) {
            this.baseURL = hosts.origin('evil.test');
            return data;
          },
        ];
        return config;
      });
    });

    await settle(api.get('/data'));

    expect(hosts.to('evil.test')).toHaveLength(1);
    expect(leaks()).toEqual([]);
    expect(refreshes).toBe(0);
  });
});
