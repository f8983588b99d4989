/**
 * Scrubs secrets out of errors before they leave the plugin, in two ways:
 * - by field: the token header (`Authorization`, or the one `inject` names) of an AxiosError,
 *   wherever axios and Node keep a copy;
 * - by value (`scrub.ts`): every token the plugin knows for the credential, wherever it appears —
 *   a custom header, an ioredis command's arguments, a token endpoint's `error_description`, a
 *   `cause` chain.
 *
 * A token hides in more places than `config.headers`: Node's `ClientRequest` keeps the raw
 * header block in `_header` and a map under the `kOutHeaders` symbol, and follow-redirects
 * keeps the options it was called with. All of them show up in `util.inspect(err, {depth: 8})`,
 * which is exactly what loggers do. We rewrite those values in place: the request has finished,
 * so nothing reads them again. A socket that never connected still holds the whole header block
 * in `_pendingData`, and sockets are not ours to edit, so `request` is also made non-enumerable:
 * code can still read `err.request`, but inspect, JSON and spreads no longer walk into it.
 */
import { REDACTED, scrubForms, scrubText, secretForms } from './scrub';

export { REDACTED } from './scrub';

const headerLines = new Map<string, RegExp>();
/** The raw header block's line for `name` (an HTTP token: of its characters only `$*+.^|` mean something in a RegExp). */
function headerLine(name: string): RegExp {
  let line = headerLines.get(name);
  if (line === undefined) {
    line = new RegExp(`^(${name.replace(/[.*+^$|]/g, '\\$&')}:[ \\t]*).*$`, 'gim');
    headerLines.set(name, line);
  }
  return line;
}

interface AxiosErrorLike {
  isAxiosError: true;
  config?: unknown;
  request?: unknown;
  response?: { config?: unknown; request?: unknown };
}

export function isAxiosErrorLike(value: unknown): value is AxiosErrorLike {
  return typeof value === 'object' && value !== null && (value as { isAxiosError?: unknown }).isAxiosError === true;
}

/**
 * Redacts `error` in place — by field when it is an AxiosError, and by value for `secrets` — and
 * returns the same error, so it can be rethrown unchanged otherwise.
 */
export function redactError<T>(error: T, secrets: readonly string[] = [], tokenHeader = 'authorization'): T {
  const forms = secretForms(secrets);
  const names = secretHeaderNames(tokenHeader);
  if (isAxiosErrorLike(error)) {
    redactConfig(error.config, names);
    redactRequest(error.request, forms, names, new Set());
    redactConfig(error.response?.config, names);
    redactRequest(error.response?.request, forms, names, new Set());
    hideProperty(error, 'request');
    hideProperty(error.response, 'request');
  }
  // Causes may be AxiosErrors too (a user's own call to a token endpoint, wrapped).
  for (let cause = causeOf(error), depth = 0; cause !== undefined && depth < 8; cause = causeOf(cause), depth++) {
    if (isAxiosErrorLike(cause)) redactError(cause, [], tokenHeader);
  }
  return scrubForms(error, forms);
}

/**
 * Lower-case names of the headers whose values are secrets: the token header, and `Authorization`
 * always (a credential the caller put there themselves is no less secret).
 */
export function secretHeaderNames(tokenHeaderLower: string): readonly string[] {
  return tokenHeaderLower === 'authorization' ? ['authorization'] : ['authorization', tokenHeaderLower];
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
}

function hideProperty(target: unknown, name: string): void {
  if (!isObject(target)) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  if (descriptor?.enumerable === true && descriptor.configurable === true) {
    Object.defineProperty(target, name, { ...descriptor, enumerable: false });
  }
}

function redactConfig(config: unknown, names: readonly string[]): void {
  if (!isObject(config)) return;
  redactHeaderBag(config['headers'], names);
  // `auth: { username, password }` becomes a Basic header inside the adapter: the password is a credential.
  if (isObject(config['auth']) && config['auth']['password'] !== undefined) config['auth'] = { ...config['auth'], password: REDACTED };
}

function redactHeaderBag(headers: unknown, names: readonly string[]): void {
  if (!isObject(headers)) return;
  for (const name of Object.keys(headers)) {
    // Whatever its type: an array or object under the token header can hold the token too.
    if (names.includes(name.toLowerCase())) headers[name] = REDACTED;
    // axios' per-method header groups (`common`, `get`…) can carry one too.
    else if (isObject(headers[name]) && !Array.isArray(headers[name])) redactHeaderBag(headers[name], names);
  }
}

/** A finished request: its header block and header map are rewritten, by field and by value. */
function redactRequest(request: unknown, forms: readonly string[], names: readonly string[], seen: Set<object>): void {
  if (!isObject(request) || seen.has(request)) return;
  seen.add(request);
  if (typeof request['_header'] === 'string') {
    let block = request['_header'];
    for (const name of names) block = block.replace(headerLine(name), `$1${REDACTED}`);
    request['_header'] = scrubText(block, forms);
  }
  for (const symbol of Object.getOwnPropertySymbols(request)) {
    // Node's internal header map: { authorization: ['Authorization', 'Bearer …'], … }.
    if (symbol.description === 'kOutHeaders') redactOutHeaders(request[symbol as unknown as string], forms, names);
  }
  // follow-redirects' RedirectableRequest: the options it was given and the live ClientRequest.
  if (isObject(request['_options'])) {
    redactHeaderBag(request['_options']['headers'], names);
    scrubForms(request['_options']['headers'], forms);
  }
  redactRequest(request['_currentRequest'], forms, names, seen);
  redactRequest(request['_redirectable'], forms, names, seen);
}

function redactOutHeaders(outHeaders: unknown, forms: readonly string[], names: readonly string[]): void {
  if (!isObject(outHeaders)) return;
  for (const [name, entry] of Object.entries(outHeaders)) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[1] !== 'string') continue;
    entry[1] = names.includes(name) ? REDACTED : scrubText(entry[1], forms);
  }
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
