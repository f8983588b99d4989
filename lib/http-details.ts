/**
 * The HTTP exchange behind a `TokenFlightError`, shaped as `AxiosError#response` and `#config`, so
 * error middleware, Sentry grouping and axios-retry conditions that read `err.response?.status`
 * work. Copies, never the live objects: the token header keeps its name with `[REDACTED]` as its
 * value, and token fields of a token endpoint's body are replaced. The rest is scrubbed by value
 * with the error (redact.ts).
 */
import type { HttpAnswer, HttpRequestSummary } from './errors';
import { REDACTED } from './secrets/scrub';

export interface HttpDetails {
  readonly response: HttpAnswer;
  readonly config: HttpRequestSummary;
}

interface ResponseLike {
  readonly status: number;
  readonly statusText?: string | undefined;
  readonly headers?: unknown;
  readonly data?: unknown;
  readonly config?:
    | { readonly method?: string | undefined; readonly url?: unknown; readonly baseURL?: unknown; readonly headers?: unknown }
    | undefined;
}

/** Fields of a token response that are credentials. */
const TOKEN_FIELDS = new Set(['access_token', 'refresh_token', 'id_token', 'accessToken', 'refreshToken', 'idToken']);

/** `secretHeaders`: lower-case names whose values are replaced (the token header, `Authorization`). */
export function httpDetails(
  response: ResponseLike,
  secretHeaders: readonly string[],
  options: { readonly tokenFields?: boolean } = {},
): HttpDetails {
  const config = response.config;
  return {
    response: {
      status: response.status,
      statusText: response.statusText ?? '',
      headers: plainHeaders(response.headers, []),
      data: options.tokenFields === true ? withoutTokenFields(response.data) : response.data,
    },
    config: {
      method: config?.method,
      url: typeof config?.url === 'string' ? config.url : config?.url === undefined ? undefined : String(config.url),
      baseURL: typeof config?.baseURL === 'string' ? config.baseURL : undefined,
      headers: plainHeaders(config?.headers, secretHeaders),
    },
  };
}

/** AxiosHeaders or a plain object, as a plain copy; `secret` names get `[REDACTED]`. */
function plainHeaders(headers: unknown, secret: readonly string[]): Record<string, unknown> {
  if (typeof headers !== 'object' || headers === null) return {};
  const source = typeof (headers as { toJSON?: unknown }).toJSON === 'function' ? (headers as { toJSON(): unknown }).toJSON() : headers;
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    copy[name] = secret.includes(name.toLowerCase()) ? REDACTED : value;
  }
  return copy;
}

/** A token response's body with its credential fields replaced (a copy; anything else as it is). */
export function withoutTokenFields(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).map(([name, value]) => [name, TOKEN_FIELDS.has(name) ? REDACTED : value]));
}
