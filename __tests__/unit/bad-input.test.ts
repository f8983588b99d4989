import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, RefreshFailedError, type TokenInput, type TokenRefreshHandle } from '../../lib';

const handles: TokenRefreshHandle[] = [];
afterEach(() => {
  for (const handle of handles.splice(0)) handle.detach();
});

function attach(refresh: () => Promise<unknown> = async () => ({ accessToken: 'fine' })) {
  const store = new MemoryTokenStore();
  const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
    store,
    refresh: refresh as () => Promise<TokenInput>,
  });
  handles.push(handle);
  return { store, handle };
}

describe('setToken with bad input: TypeError naming the field, nothing written', () => {
  const junk: Array<[string, unknown, RegExp]> = [
    ['null', null, /expected an object with accessToken, got null/],
    ['an array', [], /expected an object with accessToken, got an array/],
    ['a string', 'token', /expected an object with accessToken, got a string/],
    ['empty accessToken', { accessToken: '' }, /accessToken must be a non-empty string, got an empty string/],
    ['whitespace accessToken', { accessToken: '   ' }, /accessToken must be a non-empty string/],
    ['numeric accessToken', { accessToken: 42 }, /accessToken must be a non-empty string, got 42/],
    ['numeric refreshToken', { accessToken: 'a', refreshToken: 7 }, /refreshToken must be a string, got 7/],
    ['empty refreshToken', { accessToken: 'a', refreshToken: '' }, /refreshToken must not be empty/],
    ['NaN expiresIn', { accessToken: 'a', expiresIn: Number.NaN }, /expiresIn must be a positive number of seconds, got NaN/],
    ['negative expiresIn', { accessToken: 'a', expiresIn: -60 }, /expiresIn must be a positive number of seconds, got -60/],
    ['string expiresIn', { accessToken: 'a', expiresIn: '3600' }, /expiresIn must be a positive number of seconds, got a string/],
    ['expiresAt in the past', { accessToken: 'a', expiresAt: 1 }, /expiresAt must be a future epoch-milliseconds number, got 1/],
    ['Infinity expiresAt', { accessToken: 'a', expiresAt: Number.POSITIVE_INFINITY }, /expiresAt must be a future/],
    ['numeric tokenType', { accessToken: 'a', tokenType: 1 }, /tokenType must be a string/],
    ['object scope', { accessToken: 'a', scope: { read: true } }, /scope must be a string, got object/],
  ];

  it.each(junk)('%s', async (_name, input, message) => {
    const { store, handle } = attach();
    const error = await handle.setToken(input as TokenInput).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    expect(await store.get('default')).toBeNull();
  });

  it('never echoes a secret-looking string into the message', async () => {
    const { handle } = attach();
    const error = await handle
      .setToken({ accessToken: 'a', refreshToken: 42 as unknown as string, scope: 'sk_live_SECRET' } as TokenInput)
      .catch((e: unknown) => e);
    expect((error as Error).message).not.toContain('SECRET');
  });
});

describe('refresh() returning junk: RefreshFailedError naming the field, nothing written', () => {
  const junk: Array<[string, unknown, RegExp]> = [
    ['undefined', undefined, /unusable token: expected an object with accessToken, got undefined/],
    ['no accessToken', { access_token: 'snake-case-by-mistake' }, /accessToken must be a non-empty string, got undefined/],
    ['number instead of string', { accessToken: 12345 }, /accessToken must be a non-empty string, got 12345/],
    ['expiresIn in the past', { accessToken: 'a', expiresIn: -1 }, /expiresIn must be a positive number of seconds, got -1/],
    ['expiresIn zero', { accessToken: 'a', expiresIn: 0 }, /expiresIn must be a positive number of seconds, got 0/],
    ['expiresAt in the past', { accessToken: 'a', expiresAt: Date.now() - 1000 }, /expiresAt must be a future/],
  ];

  it.each(junk)('%s', async (_name, result, message) => {
    const { store, handle } = attach(async () => result);
    const error = await handle.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toMatch(message);
    expect(await store.get('default')).toBeNull();
  });

  it('a refresh that throws a non-Error is still a typed RefreshFailedError', async () => {
    const { handle } = attach(() => Promise.reject('a plain string'));
    const error = await handle.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toMatch(/refresh\(\) threw \(a string\)/);
  });
});

describe('handle methods with a bad key', () => {
  it.each([[''], [5], [null]])('key %p → TypeError', (key) => {
    const { handle } = attach();
    expect(() => handle.getToken(key as string)).toThrow(TypeError);
    expect(() => handle.setToken({ accessToken: 'a' }, key as string)).toThrow(/setToken\(key\) must give a non-empty string/);
    expect(() => handle.invalidate(key as string)).toThrow(TypeError);
  });
});

describe('attach options at their edges', () => {
  it.each([
    ['negative lockTtlMs', { lockTtlMs: -1 }, /`lockTtlMs` must be an integer number of milliseconds from 1 to .*got -1/],
    [
      'negative refreshTimeoutMs',
      { refreshTimeoutMs: -5 },
      /`refreshTimeoutMs` must be an integer number of milliseconds from 1 to .*got -5/,
    ],
    ['NaN refreshSkewMs', { refreshSkewMs: Number.NaN }, /`refreshSkewMs` must be an integer number of milliseconds from 0 to .*got NaN/],
    ['empty origins entry', { origins: [''] }, /`origins` must be absolute http\(s\) URLs/],
    ['negative backoff', { propagation: { backoffMs: { initial: -1, max: 10 } } }, /`propagation.backoffMs`/],
  ])('%s → TypeError naming it', (_name, options, message) => {
    expect(() =>
      attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), { refresh: async () => ({ accessToken: 'a' }), ...options }),
    ).toThrow(message);
  });
});
