import { AxiosHeaders, type AxiosResponse } from 'axios';
import { matchers } from '../../lib';

const res = (status: number, data: unknown, headers: Record<string, string> = {}) =>
  ({ status, data, headers, statusText: '', config: { headers: new AxiosHeaders() } }) as AxiosResponse;

describe('matchers.status()', () => {
  it('refreshes on the listed statuses only', () => {
    const match = matchers.status(401, 419);
    expect([401, 419, 403, 500].map((s) => match(res(s, '')))).toEqual(['refresh', 'refresh', undefined, undefined]);
  });
  it('rejects non-statuses with a TypeError', () => {
    expect(() => matchers.status()).toThrow(TypeError);
    expect(() => matchers.status(42)).toThrow(/statuses must be HTTP status codes, got 42/);
  });
});

describe('matchers.bodyField()', () => {
  it('matches a dot path, a * fan-out over arrays, and a JSON string body', () => {
    const nested = matchers.bodyField('error.details.*.reason', ['TOKEN_EXPIRED'], 'refresh');
    expect(nested(res(401, { error: { details: [{ reason: 'OTHER' }, { reason: 'TOKEN_EXPIRED' }] } }))).toBe('refresh');
    expect(nested(res(401, JSON.stringify({ error: { details: [{ reason: 'TOKEN_EXPIRED' }] } })))).toBe('refresh');
    expect(nested(res(401, { error: { details: { first: { reason: 'TOKEN_EXPIRED' } } } }))).toBe('refresh'); // * over an object's values
    expect(nested(res(401, { error: { details: [] } }))).toBeUndefined();
  });
  it('takes a predicate, a verdict and a status filter', () => {
    const match = matchers.bodyField('code', (v) => typeof v === 'number' && v >= 1000, 'propagation', { status: [401, 403] });
    expect(match(res(401, { code: 1001 }))).toBe('propagation');
    expect(match(res(400, { code: 1001 }))).toBeUndefined();
    expect(match(res(401, { code: 999 }))).toBeUndefined();
  });
  it('validates its arguments', () => {
    expect(() => matchers.bodyField('', ['x'], 'refresh')).toThrow(/path must be a non-empty string/);
    expect(() => matchers.bodyField('a', [], 'refresh')).toThrow(/values must be a non-empty array/);
    expect(() => matchers.bodyField('a', ['x'], 'retry' as never)).toThrow(
      /verdict must be 'refresh', 'propagation' or 'reauthorize', got a string/,
    );
    expect(() => matchers.bodyField('a', ['x'], 'refresh', { status: 99 })).toThrow(/HTTP status codes/);
  });
});

describe('matchers.header() and matchers.any()', () => {
  it('header matches a header by name, case-insensitively, under a status filter', () => {
    const match = matchers.header('X-Token-State', /expired/, 'refresh', { status: 401 });
    expect(match(res(401, '', { 'x-token-state': 'expired' }))).toBe('refresh');
    expect(match(res(200, '', { 'x-token-state': 'expired' }))).toBeUndefined();
  });
  it('any returns the first verdict, in order', () => {
    const match = matchers.any(matchers.bodyField('e', ['gone'], 'reauthorize'), matchers.status(401));
    expect(match(res(401, { e: 'gone' }))).toBe('reauthorize');
    expect(match(res(401, {}))).toBe('refresh');
    expect(match(res(200, {}))).toBeUndefined();
    expect(() => matchers.any()).toThrow(TypeError);
  });
});
