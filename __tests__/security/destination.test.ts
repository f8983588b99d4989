/**
 * The token goes only to allowed origins, judged by where axios really sends the request — on
 * every axios version of the peer range (run with AXIOS_UNDER_TEST=<version>; see jest.config.ts).
 * A real server answers for api.test (allowed), evil.test and evil.api.test on one port.
 */
import { randomBytes } from 'node:crypto';
import axios, { type AxiosInstance, type AxiosResponse, type CreateAxiosDefaults } from 'axios';
import fc from 'fast-check';
import type { TokenRefreshHandle, TokenRefreshOptions } from '../../lib';
import { isAbsoluteUrl } from '../../lib/interceptors/destination';
import { startVirtualHosts, testLookup, type VirtualHosts } from '../helpers/virtual-hosts';
import { attachSeeded } from '../helpers/seeded';
import { recordingLogger } from '../helpers/setup';

const ACCESS_TOKEN = `at_${randomBytes(24).toString('base64url')}`;

let hosts: VirtualHosts;
let refreshes: number;
const handles: TokenRefreshHandle[] = [];

beforeEach(async () => {
  refreshes = 0;
  // api.test accepts the token; everyone else answers 401, which must never trigger a refresh.
  hosts = await startVirtualHosts((request) =>
    request.host === 'api.test' && request.headers.authorization === `Bearer ${ACCESS_TOKEN}` ? { body: { ok: true } } : { status: 401 },
  );
});
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.detach();
  await hosts.close();
});

async function attached(
  defaults: CreateAxiosDefaults = {},
  before?: (instance: AxiosInstance) => void,
  options: Partial<TokenRefreshOptions> = {},
): Promise<AxiosInstance> {
  const instance = axios.create({ baseURL: `${hosts.origin('api.test')}/v1`, lookup: testLookup, ...defaults } as CreateAxiosDefaults);
  before?.(instance);
  handles.push(await attachSeeded(instance, ACCESS_TOKEN, options, () => (refreshes += 1)));
  return instance;
}

/** Requests that carried the token to a host other than api.test. */
function leaks(): string[] {
  return hosts.requests
    .filter((r) => r.host !== 'api.test' && JSON.stringify(r.headers).includes(ACCESS_TOKEN))
    .map((r) => `${r.host}${r.path}`);
}

const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );

describe(`the token reaches allowed origins only (axios ${axios.VERSION})`, () => {
  it('sends it to the allowed origin, as before', async () => {
    const api = await attached();

    await api.get('/me');

    expect(hosts.to('api.test')[0]?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
  });

  it('withholds it from an absolute URL on an instance with allowAbsoluteUrls: false, whether or not this axios honours the option', async () => {
    const api = await attached({ allowAbsoluteUrls: false } as CreateAxiosDefaults);

    await settle(api.get(`${hosts.origin('evil.test')}/steal`));

    // axios < 1.8.2 ignores the option and calls evil.test; later versions call api.test with an odd path.
    expect(hosts.requests).toHaveLength(1);
    expect(leaks()).toEqual([]);
    expect(refreshes).toBe(0);
  });

  it.each([
    ['a per-request baseURL', (api: AxiosInstance) => api.get('/x', { baseURL: hosts.origin('evil.test') })],
    ['a URL object', (api: AxiosInstance) => api.request({ url: new URL(`${hosts.origin('evil.test')}/x`) as unknown as string })],
    ['a protocol-relative URL', (api: AxiosInstance) => api.get(`//evil.test:${hosts.port}/x`)],
    [
      'userinfo that looks like the allowed host',
      (api: AxiosInstance) => api.get(`http://api.test:${hosts.port}@evil.test:${hosts.port}/x`),
    ],
    ['an allowed host name as a subdomain of evil', (api: AxiosInstance) => api.get(`http://api.test.evil.test:${hosts.port}/x`)],
  ])('withholds it from %s', async (_case, send) => {
    const api = await attached();

    await settle(send(api));

    expect(leaks()).toEqual([]);
    expect(refreshes).toBe(0);
  });

  describe('allowAbsoluteUrls: false, judged on every axios version', () => {
    // Each instance allows api.test only; its baseURL may point elsewhere.
    const withBase = (baseURL: string, defaults: CreateAxiosDefaults = {}): Promise<AxiosInstance> =>
      attached({ baseURL, ...defaults } as CreateAxiosDefaults, undefined, { origins: [hosts.origin('api.test')] });
    const tokensAt = (host: string): unknown[] => hosts.to(host).map((r) => r.headers.authorization);

    it('withholds it from an allowed absolute URL when the baseURL it may be joined to is foreign', async () => {
      const api = await withBase(hosts.origin('evil.test'), { allowAbsoluteUrls: false } as CreateAxiosDefaults);

      await settle(api.get(`${hosts.origin('api.test')}/me`));

      // ≥ 1.8.2 joins it to evil.test; older versions call api.test. Neither gets the token.
      expect(hosts.requests).toHaveLength(1);
      expect(leaks()).toEqual([]);
      expect(tokensAt('api.test')).toEqual(hosts.to('api.test').map(() => undefined));
    });

    it('sends it to an allowed absolute URL when absolute URLs are allowed, whatever the baseURL', async () => {
      const api = await withBase(hosts.origin('evil.test'));

      await api.get(`${hosts.origin('api.test')}/me`);

      expect(tokensAt('api.test')).toEqual([`Bearer ${ACCESS_TOKEN}`]);
    });

    it('sends it when both the baseURL and the absolute URL are allowed', async () => {
      const api = await withBase(hosts.origin('api.test'), { allowAbsoluteUrls: false } as CreateAxiosDefaults);

      await api.get(`${hosts.origin('api.test')}/me`);

      expect(tokensAt('api.test')).toEqual([`Bearer ${ACCESS_TOKEN}`]);
    });

    it('sends it to an allowed absolute URL when the baseURL is empty (nothing to join to)', async () => {
      const api = await withBase('', { allowAbsoluteUrls: false } as CreateAxiosDefaults);

      const result = await settle(api.get(`${hosts.origin('api.test')}/me`));

      // axios 1.8.2-1.8.3 join even to an empty baseURL ('/http://…'), and cannot send it at all.
      if (/^1\.8\.[23]$/.test(axios.VERSION)) expect(result).toMatchObject({ message: 'Invalid URL' });
      else expect(tokensAt('api.test')).toEqual([`Bearer ${ACCESS_TOKEN}`]);
      expect(leaks()).toEqual([]);
    });

    it('sends it to a URL object that points at an allowed origin (axios sends it where it points)', async () => {
      const api = await withBase('');

      await api.request({ url: new URL(`${hosts.origin('api.test')}/me`) as unknown as string });

      expect(tokensAt('api.test')).toEqual([`Bearer ${ACCESS_TOKEN}`]);
    });
  });

  describe('a token copied from an earlier request', () => {
    let api: AxiosInstance;
    let earlier: AxiosResponse;
    beforeEach(async () => {
      api = await attached();
      earlier = await api.get('/me');
      expect(String(earlier.config.headers.get('Authorization'))).toContain(ACCESS_TOKEN);
    });

    it('is stripped when the whole config is re-sent to another origin', async () => {
      await settle(api.request({ ...earlier.config, url: `${hosts.origin('evil.test')}/x` }));

      expect(hosts.to('evil.test')).toHaveLength(1);
      expect(leaks()).toEqual([]);
    });

    it('is stripped when the headers are re-used for another origin', async () => {
      await settle(api.get(`${hosts.origin('evil.test')}/x`, { headers: earlier.config.headers }));
      await settle(api.get(`${hosts.origin('evil.test')}/y`, { headers: { Authorization: `Bearer ${ACCESS_TOKEN}` } }));

      expect(hosts.to('evil.test')).toHaveLength(2);
      expect(leaks()).toEqual([]);
    });

    it('is stripped from a tokenFlight.skip request, even to the allowed origin', async () => {
      await settle(api.get('/public', { headers: earlier.config.headers, tokenFlight: { skip: true } }));

      expect(hosts.to('api.test')[1]?.headers.authorization).toBeUndefined();
    });

    it.each([
      ['a single transformRequest function', { transformRequest: (data: unknown) => data }],
      ['an empty transformRequest list', { transformRequest: [] }],
    ])('is stripped from a request to another origin made with %s', async (_case, config) => {
      await settle(api.get(`${hosts.origin('evil.test')}/x`, { headers: earlier.config.headers, ...config }));

      expect(hosts.to('evil.test')).toHaveLength(1);
      expect(leaks()).toEqual([]);
    });

    it('is stripped on an instance created with an empty transformRequest list', async () => {
      const bare = await attached({ transformRequest: [] });

      await settle(bare.get(`${hosts.origin('evil.test')}/x`, { headers: earlier.config.headers }));

      expect(hosts.to('evil.test')).toHaveLength(1);
      expect(leaks()).toEqual([]);
    });

    it("leaves a caller's own, unrelated Authorization header alone", async () => {
      await settle(api.get(`${hosts.origin('evil.test')}/x`, { headers: { Authorization: 'Bearer the-callers-own-github-token' } }));

      expect(hosts.to('evil.test')[0]?.headers.authorization).toBe('Bearer the-callers-own-github-token');
    });
  });

  describe('interceptors that change the destination after the plugin injected the token', () => {
    it.each([
      ['an async interceptor registered before attachTokenRefresh', false],
      ['a synchronous interceptor registered before attachTokenRefresh', true],
    ])('%s cannot carry the token to another origin', async (_case, synchronous) => {
      const api = await attached({}, (instance) => {
        instance.interceptors.request.use(
          (config) => {
            config.baseURL = hosts.origin('evil.test');
            return config;
          },
          undefined,
          { synchronous },
        );
      });

      const result = await settle(api.get('/me'));

      expect(hosts.to('evil.test')).toHaveLength(1);
      expect(leaks()).toEqual([]);
      // evil.test's 401 is not ours to act on: it comes back as is, and nothing was refreshed.
      expect(axios.isAxiosError(result) && result.response?.status).toBe(401);
      expect(refreshes).toBe(0);
    });

    it('the withheld token is logged as a warning, with the key and no token', async () => {
      const { logger, warnings } = recordingLogger();
      const api = await attached(
        {},
        (instance) =>
          instance.interceptors.request.use((config) => {
            config.baseURL = hosts.origin('evil.test');
            return config;
          }),
        { logger, key: 'crm' },
      );

      await settle(api.get('/me'));

      expect(leaks()).toEqual([]);
      expect(warnings).toEqual([
        [{ key: 'crm' }, 'axios-token-flight: withheld the token: the request was pointed at another origin after it was injected'],
      ]);
    });

    it('a transformRequest that rewrites the URL cannot carry the token either', async () => {
      const api = await attached();

      await settle(
        api.get('/me', {
          transformRequest: [
            function (this: { url?: string }, data: unknown) {
              this.url = `${hosts.origin('evil.test')}/x`;
              return data;
            },
          ],
        }),
      );

      expect(hosts.to('evil.test')).toHaveLength(1);
      expect(leaks()).toEqual([]);
    });
  });
});

it("decides whether a URL is absolute exactly as axios' own test does", () => {
  const axiosTest = (url: string) => /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url);
  const urlish = fc.stringMatching(/^[a-zA-Z0-9+\-.:/@?#\\ ]{0,12}$/);
  fc.assert(
    fc.property(urlish, (url) => isAbsoluteUrl(url) === axiosTest(url)),
    { numRuns: 20_000 },
  );
  // Every string of up to three characters from the ones at the edges of each character class,
  // with each ending that matters: exhaustive where random strings rarely reach (`a0://x`, `Z://x`).
  const edges = ['/', '0', '9', ':', '@', 'A', 'Z', '[', '`', 'a', 'z', '{', '+', '-', '.', ',', '*'];
  let prefixes = [''];
  for (let length = 0, layer = ['']; length < 3; length++) {
    layer = layer.flatMap((prefix) => edges.map((c) => prefix + c));
    prefixes = prefixes.concat(layer);
  }
  const disagreements = prefixes
    .flatMap((prefix) => ['', '//', '//x', ':', '://x', '/x'].map((end) => prefix + end))
    .filter((url) => isAbsoluteUrl(url) !== axiosTest(url));
  expect(disagreements).toEqual([]);
  for (const url of [
    '',
    '/',
    '//',
    '///x',
    'http://x',
    'HTTP://x',
    'a+b-c.d://x',
    '1http://x',
    'http:/x',
    'http:x',
    ':/',
    '://x',
    'h://',
    'x:',
    '/path',
    'path',
  ]) {
    expect([url, isAbsoluteUrl(url)]).toEqual([url, axiosTest(url)]);
  }
});
