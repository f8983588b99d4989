import type { IssuedAccessToken } from './token-family';

export type ApiStyle = 'plain' | 'linkedin' | 'slack' | 'shopify';

export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** Why a token is not accepted right now. */
export type TokenProblem = 'invalid' | 'expired' | 'propagating';

/** What the protected endpoint answers, in the style of the provider it imitates. */
export function reply(style: ApiStyle, problem: TokenProblem | undefined, path: string): ApiReply {
  if (problem === undefined) return { status: 200, body: { ok: true, path } };
  switch (style) {
    case 'linkedin':
      if (problem === 'propagating')
        return {
          status: 401,
          body: {
            serviceErrorCode: 65601,
            code: 'REVOKED_ACCESS_TOKEN',
            message: 'The token used in the request has been revoked by the user',
            status: 401,
          },
        };
      if (problem === 'expired')
        return {
          status: 401,
          body: {
            serviceErrorCode: 65602,
            code: 'EXPIRED_ACCESS_TOKEN',
            message: 'The token used in the request has expired',
            status: 401,
          },
        };
      return { status: 401, body: { serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token', status: 401 } };
    case 'slack':
      return { status: 200, body: { ok: false, error: problem === 'expired' ? 'token_expired' : 'invalid_auth' } };
    case 'shopify':
      return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
    default:
      return {
        status: 401,
        body: { error: 'invalid_token' },
        headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${problem}"` },
      };
  }
}

/** The style a path asks for: `/linkedin/…`, `/slack/…`, `/shopify/…`, anything else plain. */
export function styleOf(path: string): ApiStyle {
  if (path.startsWith('/linkedin/')) return 'linkedin';
  if (path.startsWith('/slack/')) return 'slack';
  if (path.startsWith('/shopify/')) return 'shopify';
  return 'plain';
}

/** The access token a request presents: Shopify reads its own header (bare token), the others `Authorization: Bearer`. */
export function presentedToken(style: ApiStyle, headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  if (style === 'shopify') {
    const value = headers['x-shopify-access-token'];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
  const authorization = headers['authorization'];
  return typeof authorization === 'string' ? /^Bearer (.+)$/i.exec(authorization)?.[1] : undefined;
}

/** Whether `token` is accepted at `now`, or what is wrong with it. */
export function problemWith(token: IssuedAccessToken | undefined, now: number, propagationMs: number): TokenProblem | undefined {
  if (token === undefined) return 'invalid';
  if (now >= token.expiresAt) return 'expired';
  if (now - token.issuedAt < propagationMs) return 'propagating';
  return undefined;
}
