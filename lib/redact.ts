/**
 * Scrubs the `Authorization` header out of an AxiosError before it leaves the plugin.
 *
 * A token hides in more places than `config.headers`: Node's `ClientRequest` keeps the raw
 * header block in `_header` and a map under the `kOutHeaders` symbol, and follow-redirects
 * keeps the options it was called with. All of them show up in `util.inspect(err, {depth: 8})`,
 * which is exactly what loggers do. We rewrite those values in place: the request has finished,
 * so nothing reads them again. A socket that never connected still holds the whole header block
 * in `_pendingData`, and sockets are not ours to edit, so `request` is also made non-enumerable:
 * code can still read `err.request`, but inspect, JSON and spreads no longer walk into it.
 */
export const REDACTED = '[REDACTED]';

const AUTHORIZATION_LINE = /^(authorization:[ \t]*).*$/gim;

interface AxiosErrorLike {
  isAxiosError: true;
  config?: unknown;
  request?: unknown;
  response?: { config?: unknown; request?: unknown };
}

export function isAxiosErrorLike(value: unknown): value is AxiosErrorLike {
  return typeof value === 'object' && value !== null && (value as { isAxiosError?: unknown }).isAxiosError === true;
}

/** Redacts in place and returns the same error, so it can be rethrown unchanged otherwise. */
export function redactAxiosError<T>(error: T): T {
  if (!isAxiosErrorLike(error)) return error;
  redactConfig(error.config);
  redactRequest(error.request, new Set());
  redactConfig(error.response?.config);
  redactRequest(error.response?.request, new Set());
  hideProperty(error, 'request');
  hideProperty(error.response, 'request');
  return error;
}

function hideProperty(target: unknown, name: string): void {
  if (!isObject(target)) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  if (descriptor?.enumerable === true && descriptor.configurable === true) {
    Object.defineProperty(target, name, { ...descriptor, enumerable: false });
  }
}

export function redactConfig(config: unknown): void {
  if (!isObject(config)) return;
  redactHeaderBag(config['headers']);
}

function redactHeaderBag(headers: unknown): void {
  if (!isObject(headers)) return;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization' && typeof headers[name] === 'string') headers[name] = REDACTED;
    // axios' per-method header groups (`common`, `get`…) can carry one too.
    else if (isObject(headers[name]) && !Array.isArray(headers[name])) redactHeaderBag(headers[name]);
  }
}

function redactRequest(request: unknown, seen: Set<object>): void {
  if (!isObject(request) || seen.has(request)) return;
  seen.add(request);
  if (typeof request['_header'] === 'string') {
    request['_header'] = request['_header'].replace(AUTHORIZATION_LINE, `$1${REDACTED}`);
  }
  for (const symbol of Object.getOwnPropertySymbols(request)) {
    // Node's internal header map: { authorization: ['Authorization', 'Bearer …'] }.
    if (symbol.description === 'kOutHeaders') redactOutHeaders(request[symbol as unknown as string]);
  }
  // follow-redirects' RedirectableRequest: the options it was given and the live ClientRequest.
  if (isObject(request['_options'])) redactHeaderBag(request['_options']['headers']);
  redactRequest(request['_currentRequest'], seen);
  redactRequest(request['_redirectable'], seen);
}

function redactOutHeaders(outHeaders: unknown): void {
  if (!isObject(outHeaders)) return;
  const entry = outHeaders['authorization'];
  if (Array.isArray(entry) && entry.length === 2) entry[1] = REDACTED;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** For errors from a token endpoint: the request body carries the refresh token and client secret. */
export function redactRequestBody<T>(error: T): T {
  if (!isAxiosErrorLike(error)) return error;
  for (const config of [error.config, error.response?.config]) {
    if (isObject(config) && config['data'] !== undefined) config['data'] = REDACTED;
  }
  return error;
}
