import { ReauthorizationRequiredError, RefreshFailedError, type TokenFlightError } from '../errors';
import type { HttpDetails } from '../http-details';
import { keepRefreshToken } from '../kept-refresh-token';
import { scrubText, secretForms } from '../secrets/scrub';
import { describe } from '../describe';
import type { TokenInput } from '../types';

/** RFC 6749 §5.2 errors after which only a person can help: the grant or the client is dead. */
const REAUTHORIZE_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);
const MAX_DESCRIPTION = 200;
const MAX_ERROR_CODE = 64;

/** Provider text made safe to put in a message: secrets scrubbed first, then one line, then bounded. */
function quotable(text: string, secrets: readonly string[], maxLength: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this removes
  const oneLine = scrubText(text, secretForms(secrets)).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return oneLine.length > maxLength ? `${oneLine.slice(0, maxLength)}…` : oneLine;
}

/**
 * RFC 6749 §5.1 / §5.2: a successful token response, or the typed error that explains why not.
 * Messages carry the provider's `error` code and description, never the body (it may hold tokens);
 * the description is quoted only after `secrets` are scrubbed out of it (an endpoint may echo the
 * refresh token or client secret), control characters removed, and truncated.
 */
export function parseTokenResponse(
  status: number,
  body: string,
  key: string,
  tokenUrl: string,
  secrets: readonly string[] = [],
  retryAfter?: unknown,
  /** The answer as an axios user reads it on an error; called only when one is thrown. */
  http: () => HttpDetails | undefined = () => undefined,
): TokenInput {
  const json = parseObject(body);
  if (status >= 200 && status < 300) {
    if (json === undefined)
      return malformed(key, tokenUrl, `a body that is not a JSON object (${body.trim() === '' ? 'empty' : 'unparseable'})`, http);
    try {
      return toTokenInput(json, key, tokenUrl, http);
    } catch (refused) {
      // A refused answer may still have rotated the refresh token: it must not be dropped.
      throw keepRefreshToken(refused as object, json['refresh_token']);
    }
  }
  const error = typeof json?.['error'] === 'string' ? quotable(json['error'], secrets, MAX_ERROR_CODE) : undefined;
  const description =
    typeof json?.['error_description'] === 'string' ? `: ${quotable(json['error_description'], secrets, MAX_DESCRIPTION)}` : '';
  const what = `token endpoint ${tokenUrl} answered ${status}${error === undefined ? '' : ` ${error}`}${description}`;
  if ((error !== undefined && REAUTHORIZE_ERRORS.has(error)) || status === 401 || status === 403) {
    throw new ReauthorizationRequiredError(`axios-token-flight: ${what}; the user must authorise again`, { key, http: http() });
  }
  throw new RefreshFailedError(`axios-token-flight: ${what}`, { key, http: http(), retryAfterMs: retryAfterMs(retryAfter) });
}

/** RFC 9110 §10.2.3 `Retry-After`: delay-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function retryAfterMs(header: unknown, now = Date.now()): number | undefined {
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Every HTTP-date form starts with a day name; without this check Date.parse reads '-5' or '5 s' as a year.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function toTokenInput(json: Record<string, unknown>, key: string, tokenUrl: string, http: () => HttpDetails | undefined): TokenInput {
  const { access_token: accessToken, refresh_token: refreshToken, token_type: tokenType, scope } = json;
  if (typeof accessToken !== 'string' || accessToken === '') {
    return malformed(key, tokenUrl, `no access_token (got ${describe(accessToken)})`, http);
  }
  // Some providers (Facebook's older endpoints, a few Azure flavours) send expires_in as a string.
  const rawExpiresIn = json['expires_in'];
  const expiresIn = typeof rawExpiresIn === 'string' && rawExpiresIn.trim() !== '' ? Number(rawExpiresIn) : rawExpiresIn;
  if (expiresIn !== undefined && expiresIn !== null && !(typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0)) {
    return malformed(key, tokenUrl, `expires_in must be a positive number of seconds (got ${describe(expiresIn)})`, http);
  }
  if (refreshToken !== undefined && refreshToken !== null && (typeof refreshToken !== 'string' || refreshToken === '')) {
    return malformed(key, tokenUrl, `refresh_token must be a non-empty string (got ${describe(refreshToken)})`, http);
  }
  return {
    accessToken,
    ...(typeof refreshToken === 'string' ? { refreshToken } : {}),
    ...(typeof expiresIn === 'number' ? { expiresIn } : {}),
    // `"Bearer "` (a stray space) is a harmless quirk, not a reason to refuse the answer.
    ...(typeof tokenType === 'string' && tokenType.trim() !== '' ? { tokenType: tokenType.trim() } : {}),
    ...(typeof scope === 'string' ? { scope } : {}),
    extra: extraFields(json),
  };
}

/** Fields the plugin handles itself; everything else (`instance_url`, `id_token`, `scope`…) goes to `extra`. */
const OWN_FIELDS = new Set(['access_token', 'refresh_token', 'expires_in', 'token_type']);

function extraFields(json: Record<string, unknown>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(json)) if (!OWN_FIELDS.has(name)) extra[name] = value;
  return extra;
}

function malformed(key: string, tokenUrl: string, problem: string, http: () => HttpDetails | undefined): never {
  const error: TokenFlightError = new RefreshFailedError(`axios-token-flight: token endpoint ${tokenUrl} answered with ${problem}`, {
    key,
    http: http(),
  });
  throw error;
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
