import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, type TokenRefreshOptions } from '../../lib';

const refresh = async () => ({ accessToken: 't' });
const instance = () => axios.create({ baseURL: 'https://api.example.com' });

describe('option validation at attach time', () => {
  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['refresh missing', {}, /`refresh` must be a function/],
    ['refresh not a function', { refresh: 'x' }, /`refresh` must be a function.*got a string/],
    ['store without methods', { store: {} }, /`store` must be a TokenStore/],
    [
      'store.subscribe not a function',
      { store: Object.assign(new MemoryTokenStore(), { subscribe: 1 }) },
      /`store.subscribe` must be a function/,
    ],
    ['key empty', { key: '' }, /`key` must be a non-empty string or a function/],
    ['key number', { key: 5 }, /`key` must be.*got 5/],
    ['matchers empty', { matchers: [] }, /`matchers` must be a non-empty array/],
    ['matchers with a non-function', { matchers: [() => undefined, 'x'] }, /`matchers` must be a non-empty array of functions/],
    ['origins empty', { origins: [] }, /`origins` must be a non-empty array/],
    ['origins relative', { origins: ['/api'] }, /`origins` must be absolute http\(s\) URLs/],
    ['origins ftp', { origins: ['ftp://files.example.com'] }, /`origins` must be absolute/],
    ['origins string', { origins: 'https://api.example.com' }, /`origins` must be a non-empty array of URLs or 'any'/],
    ['maxReplays negative', { maxReplays: -1 }, /`maxReplays` must be a non-negative integer, got -1/],
    ['maxReplays fractional', { maxReplays: 1.5 }, /`maxReplays` must be a non-negative integer/],
    ['maxReplays NaN', { maxReplays: Number.NaN }, /`maxReplays` must be a non-negative integer, got NaN/],
    [
      'refreshSkewMs string',
      { refreshSkewMs: '60000' },
      /`refreshSkewMs` must be an integer number of milliseconds from 0 to 2147483647.*got a string/,
    ],
    ['propagation.windowMs negative', { propagation: { windowMs: -5 } }, /`propagation.windowMs`/],
    ['propagation.maxWaits Infinity', { propagation: { maxWaits: Number.POSITIVE_INFINITY } }, /`propagation.maxWaits`/],
    [
      'propagation.backoffMs max < initial',
      { propagation: { backoffMs: { initial: 100, max: 50 } } },
      /`propagation.backoffMs` must be \{ initial, max \}/,
    ],
    ['propagation not an object', { propagation: 5 }, /`propagation` must be an object/],
    ['an unknown propagation field', { propagation: { window: 5 } }, /propagation: unknown option `window`/],
    ['beforeReplay not a function', { beforeReplay: 'sign' }, /`beforeReplay` must be a function/],
    ['lockTtlMs zero', { lockTtlMs: 0 }, /`lockTtlMs` must be an integer number of milliseconds from 1 to .*got 0/],
    ['refreshTimeoutMs zero', { refreshTimeoutMs: 0 }, /`refreshTimeoutMs` must be an integer number of milliseconds from 1 /],
    [
      'refreshTimeoutMs ≥ lockTtlMs',
      { refreshTimeoutMs: 15_000, lockTtlMs: 15_000 },
      /`refreshTimeoutMs` \(15000\) must be less than `lockTtlMs` \(15000\)/,
    ],
    ['default refreshTimeoutMs ≥ lockTtlMs', { lockTtlMs: 5_000 }, /`refreshTimeoutMs` \(10000\) must be less than `lockTtlMs` \(5000\)/],
    ['onStoreError unknown', { onStoreError: 'retry' }, /`onStoreError` must be 'local' or 'fail'/],
    ['logger incomplete', { logger: { info() {} } }, /`logger` must be an object with debug, info, warn and error/],
    ['unknown option', { maxRetries: 3 }, /unknown option `maxRetries`/],
  ];

  it.each(invalid)('%s → TypeError', (_name, overrides, message) => {
    const options = { refresh, ...overrides } as unknown as TokenRefreshOptions;
    if (!('refresh' in overrides) && _name.startsWith('refresh missing')) delete (options as { refresh?: unknown }).refresh;
    const attach = () => attachTokenRefresh(instance(), options);
    expect(attach).toThrow(TypeError);
    expect(attach).toThrow(message);
  });

  it('requires `origins` when the instance has no absolute baseURL', () => {
    expect(() => attachTokenRefresh(axios.create(), { refresh })).toThrow(/option `origins` is required/);
    expect(() => attachTokenRefresh(axios.create({ baseURL: '/relative' }), { refresh })).toThrow(TypeError);
  });

  it('rejects something that is not an axios instance, and non-object options', () => {
    expect(() => attachTokenRefresh({} as never, { refresh })).toThrow(/expects an axios instance/);
    expect(() => attachTokenRefresh(instance(), null as never)).toThrow(/options must be an object, got null/);
  });

  it('accepts every documented option with valid values and leaves the instance untouched on failure', () => {
    const api = instance();
    expect(() => attachTokenRefresh(api, { refresh, maxReplays: -1 })).toThrow(TypeError);
    // A failed attach registered nothing.
    expect((api.interceptors.request as unknown as { handlers: unknown[] }).handlers).toHaveLength(0);
    const handle = attachTokenRefresh(api, {
      refresh,
      store: new MemoryTokenStore(),
      key: (config) => String(config.url),
      matchers: [() => undefined],
      origins: ['https://api.example.com', 'https://eu.api.example.com'],
      maxReplays: 0,
      refreshSkewMs: 0,
      propagation: { windowMs: 0, maxWaits: 0, backoffMs: { initial: 0, max: 0 } },
      lockTtlMs: 2,
      refreshTimeoutMs: 1,
      onStoreError: 'fail',
      logger: console,
    });
    handle.detach();
    expect((api.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean)).toHaveLength(0);
  });
});
