/**
 * Every place `redactError` knows a token hides, built by hand so each can be checked alone: the
 * request objects here are "live" the way Node's are (they have `pipe`), so the by-value walk
 * skips them and only the by-field redaction of an AxiosError can clean them. The end-to-end
 * tests with real sockets are redaction.test.ts and security-redaction.test.ts.
 */
import { inspect } from 'node:util';
import { redactError, redactRequestBody, REDACTED } from '../../lib/secrets/redact';

const TOKEN = 'at_live-access-token-1234';
const OTHER_SECRET = 'rt_refresh-token-5678';
const kOutHeaders = Symbol('kOutHeaders');

/** A finished ClientRequest as Node leaves it: raw header block, header map, and a `pipe`. */
function clientRequest(headers: Record<string, string>): Record<string | symbol, unknown> {
  const block = `GET / HTTP/1.1\r\n${Object.entries(headers)
    .map(([n, v]) => `${n}: ${v}\r\n`)
    .join('')}\r\n`;
  const map = Object.fromEntries(Object.entries(headers).map(([n, v]) => [n.toLowerCase(), [n, v]]));
  return { _header: block, [kOutHeaders]: map, pipe: () => undefined };
}

function axiosError(extra: Record<string, unknown> = {}): Record<string, unknown> & { isAxiosError: true } {
  return {
    isAxiosError: true,
    message: 'Request failed with status code 500',
    config: { headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' } },
    ...extra,
  };
}

const rendered = (value: unknown): string => inspect(value, { depth: Infinity, showHidden: true });

describe('by field: the token header wherever axios and Node keep it', () => {
  it('config headers: Authorization in any case, the custom token header, and per-method groups', () => {
    const error = axiosError({
      config: {
        headers: {
          AUTHORIZATION: [`Bearer ${TOKEN}`],
          'X-Shopify-Access-Token': TOKEN,
          common: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' },
          Accept: 'text/plain',
          'Content-Length': 12,
        },
      },
    });
    redactError(error, [], 'x-shopify-access-token');
    expect((error['config'] as { headers: unknown }).headers).toEqual({
      AUTHORIZATION: REDACTED,
      'X-Shopify-Access-Token': REDACTED,
      common: { Authorization: REDACTED, Accept: 'application/json' },
      Accept: 'text/plain',
      'Content-Length': 12,
    });
  });

  it('by field only the token header goes: other headers are kept although no secret is given', () => {
    const error = axiosError({ config: { headers: { 'X-Api-Key': TOKEN } } });
    redactError(error);
    expect((error['config'] as { headers: Record<string, string> }).headers['X-Api-Key']).toBe(TOKEN);
  });

  it('the raw header block, the header map, response.config and response.request', () => {
    const request = clientRequest({ Authorization: `Bearer ${TOKEN}`, 'X-Trace': 'abc123' });
    const responseRequest = clientRequest({ authorization: `Bearer ${TOKEN}` });
    const error = axiosError({
      request,
      response: { status: 500, config: { headers: { Authorization: `Bearer ${TOKEN}` } }, request: responseRequest },
    });
    redactError(error);
    expect(request['_header']).toBe(`GET / HTTP/1.1\r\nAuthorization: ${REDACTED}\r\nX-Trace: abc123\r\n\r\n`);
    expect(request[kOutHeaders]).toEqual({ authorization: ['Authorization', REDACTED], 'x-trace': ['X-Trace', 'abc123'] });
    expect(responseRequest['_header']).toBe(`GET / HTTP/1.1\r\nauthorization: ${REDACTED}\r\n\r\n`);
    expect((error['response'] as { config: { headers: unknown } }).config.headers).toEqual({ Authorization: REDACTED });
    expect(rendered(error)).not.toContain(TOKEN);
  });

  it('a header whose name holds RegExp characters matches only itself in the raw block', () => {
    const request = clientRequest({ 'X.Token': TOKEN, XaToken: 'keep-me' });
    redactError(axiosError({ request }), [], 'x.token');
    expect(request['_header']).toBe(`GET / HTTP/1.1\r\nX.Token: ${REDACTED}\r\nXaToken: keep-me\r\n\r\n`);
  });

  it('header map entries that are not [name, string] pairs are left as they are', () => {
    const request = { pipe: () => undefined, [kOutHeaders]: { authorization: ['Authorization'], 'x-n': ['X-N', 5], 'x-s': 'plain' } };
    redactError(axiosError({ request }), [OTHER_SECRET]);
    expect(request[kOutHeaders]).toEqual({ authorization: ['Authorization'], 'x-n': ['X-N', 5], 'x-s': 'plain' });
  });

  it("follow-redirects' RedirectableRequest: its options, its current request, and the cycle back to it", () => {
    const current = clientRequest({ Authorization: `Bearer ${TOKEN}`, 'X-Echo': OTHER_SECRET });
    const redirectable: Record<string, unknown> = {
      pipe: () => undefined,
      _options: { headers: { Authorization: `Bearer ${TOKEN}`, 'X-Echo': `v=${OTHER_SECRET}` } },
      _currentRequest: current,
    };
    current['_redirectable'] = redirectable; // Node's request points back: the walk must stop
    const error = axiosError({ request: redirectable });

    redactError(error, [OTHER_SECRET]);

    expect((redirectable['_options'] as { headers: unknown }).headers).toEqual({ Authorization: REDACTED, 'X-Echo': `v=${REDACTED}` });
    expect(current['_header']).toBe(`GET / HTTP/1.1\r\nAuthorization: ${REDACTED}\r\nX-Echo: ${REDACTED}\r\n\r\n`);
    expect(current[kOutHeaders]).toEqual({ authorization: ['Authorization', REDACTED], 'x-echo': ['X-Echo', REDACTED] });
  });

  it('a request reached through _redirectable alone is cleaned too', () => {
    const inner = clientRequest({ Authorization: `Bearer ${TOKEN}` });
    redactError(axiosError({ request: { pipe: () => undefined, _redirectable: inner } }));
    expect(inner['_header']).toBe(`GET / HTTP/1.1\r\nAuthorization: ${REDACTED}\r\n\r\n`);
  });
});

describe('request hidden from inspection, still readable', () => {
  it('error.request and error.response.request become non-enumerable, same objects', () => {
    const request = clientRequest({});
    const responseRequest = clientRequest({});
    const error = axiosError({ request, response: { status: 500, request: responseRequest } });
    redactError(error);
    expect(Object.keys(error)).not.toContain('request');
    expect(Object.keys(error['response'] as object)).not.toContain('request');
    expect(error['request']).toBe(request);
    expect((error['response'] as { request: unknown }).request).toBe(responseRequest);
  });

  it('a request property that cannot be redefined stays as it is, without throwing', () => {
    const error = axiosError();
    Object.defineProperty(error, 'request', { value: clientRequest({}), enumerable: true, configurable: false });
    expect(() => redactError(error)).not.toThrow();
    expect(Object.keys(error)).toContain('request');
  });

  it('objects that are not AxiosErrors are not touched by field', () => {
    const request = clientRequest({ Authorization: `Bearer ${TOKEN}` });
    const error = Object.assign(new Error('plain'), { isAxiosError: 'yes', request, config: { headers: { Authorization: TOKEN } } });
    redactError(error);
    expect(request['_header']).toContain(TOKEN);
    expect(Object.keys(error)).toContain('request');
  });
});

describe('values that are not objects', () => {
  it('null, undefined, a string: returned as they are, nothing thrown', () => {
    expect(redactError(null, [TOKEN])).toBeNull();
    expect(redactError(undefined, [TOKEN])).toBeUndefined();
    expect(redactError(`plain ${TOKEN}`, [TOKEN])).toBe(`plain ${TOKEN}`);
  });

  it('an AxiosError whose config, request and response are null', () => {
    const error = { isAxiosError: true, config: null, request: null, response: null };
    expect(() => redactError(error, [TOKEN])).not.toThrow();
    expect(() => redactRequestBody(error)).not.toThrow();
  });
});

describe('causes', () => {
  it('an AxiosError anywhere in the first eight causes is redacted by field', () => {
    const deepest = axiosError();
    let error: Error = Object.assign(new Error('outer 8'), { cause: deepest });
    for (let level = 7; level >= 1; level--) error = new Error(`outer ${level}`, { cause: error });
    redactError(error);
    expect((deepest['config'] as { headers: unknown }).headers).toEqual({ Authorization: REDACTED, Accept: 'application/json' });
  });

  it('a cycle of causes ends', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    expect(redactError(first, [TOKEN])).toBe(first);
  });

  it('by value: a secret in the message and in a cause is replaced, the error object is the same', () => {
    const cause = new Error(`refresh with ${OTHER_SECRET} failed`);
    const error = new Error(`token ${TOKEN}`, { cause });
    expect(redactError(error, [TOKEN, OTHER_SECRET])).toBe(error);
    expect(error.message).toBe(`token ${REDACTED}`);
    expect(cause.message).toBe(`refresh with ${REDACTED} failed`);
  });
});

describe('redactRequestBody', () => {
  it('replaces the request body of a token-endpoint AxiosError, in config and response.config', () => {
    const error = {
      isAxiosError: true,
      config: { data: `refresh_token=${OTHER_SECRET}` },
      response: { config: { data: 'client_secret=x' } },
    };
    expect(redactRequestBody(error)).toBe(error);
    expect(error.config.data).toBe(REDACTED);
    expect(error.response.config.data).toBe(REDACTED);
  });

  it('leaves an absent body absent, and other errors alone', () => {
    const error = { isAxiosError: true, config: { url: '/token' } };
    redactRequestBody(error);
    expect(error.config).toEqual({ url: '/token' });
    const plain = { config: { data: 'refresh_token=x' } };
    redactRequestBody(plain);
    expect(plain.config.data).toBe('refresh_token=x');
  });
});
