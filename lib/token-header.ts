/**
 * Where the token is sent and how it is written: `Authorization: Bearer <token>` by default, or
 * any header and scheme an API reads (Shopify: `X-Shopify-Access-Token: <token>`, no scheme).
 */
import type { TokenSet } from './types';
import { HTTP_TOKEN } from './http-token';
import { optionError, snapshotOptions } from './validate';

/** The `inject` option. */
export interface TokenInjectionOptions {
  /** Header that carries the token. @default 'Authorization' */
  readonly header?: string | undefined;
  /**
   * Written before the token, separated by one space. `null` sends the bare token. Absent: the
   * token's own `tokenType` (`bearer` normalised to `Bearer`), `Bearer` when it has none.
   */
  readonly scheme?: string | null | undefined;
}

export interface TokenInjection {
  /** As given (`Authorization` by default); axios matches header names case-insensitively. */
  readonly header: string;
  /** Lower-cased, for the places that see raw header objects (redirect options, Node's header map). */
  readonly headerLower: string;
  /** The header value for `token`. */
  valueFor(token: TokenSet): string;
}

/** Headers a token must never be written into: they are framing, routing or someone else's credentials. */
const UNSUITABLE_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'cookie',
  'proxy-authorization',
]);

export const DEFAULT_TOKEN_HEADER = 'Authorization';

export function resolveInjection(value: unknown): TokenInjection {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw optionError('', 'inject', 'an object { header?, scheme? }', value);
  }
  const given = value === undefined ? {} : snapshotOptions('inject: ', value, ['header', 'scheme'] as const);
  const header = given.header ?? DEFAULT_TOKEN_HEADER;
  if (typeof header !== 'string' || !HTTP_TOKEN.test(header) || UNSUITABLE_HEADERS.has(header.toLowerCase())) {
    throw optionError('', 'inject.header', 'a header name (letters, digits, `-`…) other than Host, Cookie and framing headers', header);
  }
  const scheme = given.scheme;
  if (scheme !== undefined && scheme !== null && (typeof scheme !== 'string' || !HTTP_TOKEN.test(scheme))) {
    throw optionError('', 'inject.scheme', 'an auth scheme such as `Bearer` or `Token`, or null for the bare token', scheme);
  }
  return Object.freeze({
    header,
    headerLower: header.toLowerCase(),
    valueFor: lastValueKept(
      scheme === null ? bareToken : scheme === undefined ? withTokenType : (token: TokenSet) => `${scheme} ${token.accessToken}`,
    ),
  });
}

/**
 * The header value is the same for every request that sends one token: the last one is kept, so
 * the hot path builds (and, with `tokenType`, pattern-tests) it once per token, not per request.
 */
function lastValueKept(headerValue: (token: TokenSet) => string): (token: TokenSet) => string {
  let lastToken: TokenSet | undefined;
  let lastValue = '';
  return (token) => {
    if (token !== lastToken) {
      lastValue = headerValue(token);
      lastToken = token;
    }
    return lastValue;
  };
}

function bareToken(token: TokenSet): string {
  return token.accessToken;
}

/** Lower-case `bearer` from some providers is normalised (RFC 6750 §2.1). */
function withTokenType(token: TokenSet): string {
  const type = token.tokenType === undefined || /^bearer$/i.test(token.tokenType) ? 'Bearer' : token.tokenType;
  return `${type} ${token.accessToken}`;
}
