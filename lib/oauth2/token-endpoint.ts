import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import type { NewerConfigOptions } from '../axios-newer-options';
import { RefreshFailedError } from '../errors';
import { originOf } from '../origin';
import { redactError, redactRequestBody } from '../secrets/redact';
import type { RefreshContext, TokenInput } from '../types';
import { optionError, readingOption, snapshotOptions } from '../validate';
import { httpDetails, type HttpDetails } from '../http-details';
import { readBounded, ResponseTooLargeError } from './read-bounded';
import { type ClientAuth, type ClientAuthMethod, type ClientAuthRequirement, resolveClientAuth } from './client-auth';
import type { JwtAlgorithm, PrivateKeyInput } from './jwt-assertion';
import { parseTokenResponse } from './token-response';

export type { ClientAuthMethod } from './client-auth';

/** Options shared by every grant helper. */
export interface TokenEndpointOptions {
  /** Absolute URL of the provider's token endpoint. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
  /**
   * How the client authenticates (RFC 6749 §2.3.1; `private_key_jwt`: RFC 7523 §2.2, a signed
   * assertion instead of a secret).
   * @default 'client_secret_basic' when a secret is given; public clients send only `client_id`
   */
  readonly authMethod?: ClientAuthMethod | undefined;
  /** `private_key_jwt`: the client's private key (PEM, JWK or `KeyObject`). Never in an error. */
  readonly privateKey?: PrivateKeyInput | undefined;
  /** `private_key_jwt`: the key's id (`kid` in the assertion's header), as registered with the provider. */
  readonly keyId?: string | undefined;
  /** `private_key_jwt`: how the assertion is signed. @default 'RS256' */
  readonly algorithm?: JwtAlgorithm | undefined;
  /** Space-separated scopes to request. */
  readonly scope?: string | undefined;
  /** More form fields, e.g. `{ audience }` or a provider's `resource`. */
  readonly extraParams?: Readonly<Record<string, string>> | undefined;
  /**
   * The largest token response accepted, in bytes; a larger one fails the refresh instead of
   * filling memory. @default 1_048_576 (1 MiB)
   */
  readonly maxResponseBytes?: number | undefined;
  /**
   * The axios instance used to call the token endpoint (proxies, custom agents).
   * Never pass the instance the plugin is attached to.
   * @default a private instance: no interceptors, no retries
   */
  readonly httpClient?: AxiosInstance | undefined;
}

export interface ResolvedEndpoint {
  readonly tokenUrl: string;
  /** `tokenUrl` fit for a message: no userinfo, query or fragment (they can carry credentials). */
  readonly displayUrl: string;
  readonly maxResponseBytes: number;
  /** Values scrubbed from every error this endpoint produces: the client secret and its Basic form. */
  readonly secrets: readonly string[];
  /** Form fields every call sends (client credentials in the body for `client_secret_post`, scope, extras). */
  readonly baseParams: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly client: AxiosInstance;
  /** `private_key_jwt`: the fresh client assertion each call sends. */
  readonly clientAssertion: ClientAuth['assertion'];
}

let privateClient: AxiosInstance | undefined;

/** One axios instance of the plugin's own for every helper without an `httpClient`: never the caller's interceptors. */
function sharedPrivateClient(): AxiosInstance {
  privateClient ??= axios.create();
  return privateClient;
}

/** Option names every grant helper accepts. */
const ENDPOINT_OPTIONS = [
  'tokenUrl',
  'clientId',
  'clientSecret',
  'authMethod',
  'scope',
  'extraParams',
  'httpClient',
  'maxResponseBytes',
  'privateKey',
  'keyId',
  'algorithm',
] as const satisfies ReadonlyArray<keyof TokenEndpointOptions>;

/**
 * Reads a helper's options once (a throwing getter or revoked Proxy is a `TypeError` naming the
 * option; an unknown name too) and checks the ones every helper shares.
 */
export function readHelperOptions<K extends string>(
  helper: string,
  options: unknown,
  extra: readonly K[] = [],
): Partial<Record<(typeof ENDPOINT_OPTIONS)[number] | K, unknown>> {
  const where = `${helper}: `;
  if (typeof options !== 'object' || options === null) throw optionError(where, 'options', 'an object', options);
  return snapshotOptions(where, options, [...ENDPOINT_OPTIONS, ...extra]);
}

export function resolveEndpoint(
  helper: string,
  options: Partial<Record<(typeof ENDPOINT_OPTIONS)[number], unknown>>,
  clientAuth: ClientAuthRequirement,
): ResolvedEndpoint {
  const where = `${helper}: `;
  const { tokenUrl, scope, extraParams, httpClient, maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES } = options;
  if (typeof tokenUrl !== 'string' || originOf(tokenUrl) === undefined)
    throw optionError(where, 'tokenUrl', 'an absolute http(s) URL', tokenUrl);
  const auth = resolveClientAuth(
    where,
    {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authMethod: options.authMethod,
      privateKey: options.privateKey,
      keyId: options.keyId,
      algorithm: options.algorithm,
    },
    clientAuth,
  );
  if (scope !== undefined && typeof scope !== 'string') throw optionError(where, 'scope', 'a string', scope);
  const params = readingOption(`${helper}: `, 'extraParams', () => {
    if (extraParams === undefined) return {};
    const entries = typeof extraParams === 'object' && extraParams !== null ? Object.entries(extraParams) : undefined;
    if (entries === undefined || entries.some(([, v]) => typeof v !== 'string'))
      throw optionError(where, 'extraParams', 'an object of string values', extraParams);
    return Object.fromEntries(entries) as Record<string, string>;
  });
  const client = readingOption(`${helper}: `, 'httpClient', () => {
    if (httpClient !== undefined && typeof (httpClient as { request?: unknown } | null)?.request !== 'function')
      throw optionError(where, 'httpClient', 'an axios instance', httpClient);
    return httpClient as AxiosInstance | undefined;
  });
  if (typeof maxResponseBytes !== 'number' || !Number.isInteger(maxResponseBytes) || maxResponseBytes < 1) {
    throw optionError(where, 'maxResponseBytes', 'a positive integer', maxResponseBytes);
  }
  const baseParams: Record<string, string> = { ...params, ...auth.params };
  if (scope !== undefined) baseParams['scope'] = scope as string;
  return {
    tokenUrl: tokenUrl as string,
    displayUrl: displayUrl(tokenUrl as string),
    maxResponseBytes: maxResponseBytes as number,
    secrets: [...urlSecrets(tokenUrl as string), ...auth.secrets],
    baseParams,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...auth.headers },
    client: client ?? sharedPrivateClient(),
    clientAssertion: auth.assertion,
  };
}

const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

/** A URL fit for a message: no userinfo, query or fragment (they can carry credentials). */
function displayUrl(url: string, base?: string): string {
  try {
    const parsed = new URL(url, base);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(an unparseable URL)';
  }
}

/** A password in the URL's userinfo and every query value: some providers take credentials there. */
function urlSecrets(url: string): string[] {
  const parsed = new URL(url);
  return [parsed.password, ...parsed.searchParams.values()].filter((value) => value !== '');
}

/**
 * Errors from the token endpoint name it by `displayUrl` (its query or userinfo may carry a
 * credential), and lose their Node request objects: the socket's pending data and the request's
 * `path` hold the URL and the form body (refresh token, client secret), and sockets cannot be
 * edited in place. Nobody needs the live request of a failed token call.
 */
function redactRequestUrl<T>(error: T, shownAs: string): T {
  if (typeof error !== 'object' || error === null) return error;
  const { config, response } = error as { config?: { url?: unknown }; response?: { config?: { url?: unknown } } };
  for (const target of [config, response?.config]) {
    if (typeof target === 'object' && target !== null && target.url !== undefined) target.url = shownAs;
  }
  for (const holder of [error, response]) {
    if (typeof holder === 'object' && holder !== null && 'request' in holder) Reflect.deleteProperty(holder, 'request');
  }
  return error;
}

/**
 * POSTs a grant to the token endpoint and parses the answer into a `TokenInput` or a typed error.
 * `grantSecrets` are the grant's own secrets (the refresh token): scrubbed from every error.
 */
export async function requestToken(
  endpoint: ResolvedEndpoint,
  grant: Record<string, string>,
  context: RefreshContext,
  grantSecrets: readonly string[] = [],
): Promise<TokenInput> {
  const secrets = [...endpoint.secrets, ...grantSecrets];
  const assertion = endpoint.clientAssertion === undefined ? {} : await endpoint.clientAssertion(endpoint.tokenUrl);
  const body = new URLSearchParams({ ...endpoint.baseParams, ...assertion, ...grant }).toString();
  let answer: TokenEndpointAnswer;
  let text: string;
  try {
    const requestConfig: AxiosRequestConfig & NewerConfigOptions = {
      method: 'POST',
      url: endpoint.tokenUrl,
      data: body,
      headers: endpoint.headers,
      signal: context.signal,
      // We classify every status ourselves and parse the body ourselves (non-JSON must be reported).
      validateStatus: () => true,
      // Read and counted here, whatever the adapter (see read-bounded.ts).
      responseType: 'stream',
      transformResponse: [(data: unknown) => data],
      // A redirect would carry the client credentials and the refresh token to wherever it points.
      maxRedirects: 0,
      fetchOptions: { redirect: 'manual' },
      // A hostile or broken endpoint must not fill memory before the refresh timeout.
      maxContentLength: endpoint.maxResponseBytes,
      tokenFlight: { skip: true },
    };
    const response = await endpoint.client.request<unknown>(requestConfig);
    text = await readBounded(response.data, endpoint.maxResponseBytes, response.headers?.['content-length']);
    answer = response;
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    const tooLarge =
      error instanceof ResponseTooLargeError ||
      ((error as { code?: unknown }).code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(String((error as Error).message)));
    const problem = tooLarge ? `answered with more than maxResponseBytes (${endpoint.maxResponseBytes} bytes)` : 'could not be reached';
    throw new RefreshFailedError(`axios-token-flight: token endpoint ${endpoint.displayUrl} ${problem}`, {
      key: context.key,
      cause: redactError(redactRequestUrl(redactRequestBody(error), endpoint.displayUrl), secrets),
    });
  }
  const { status } = answer;
  // What an axios user reads on an error: the token endpoint's answer, credentials replaced. Built
  // only for an error: a token answer needs none of it.
  const http = (): HttpDetails => tokenEndpointDetails(endpoint, answer, text);
  if (status >= 300 && status < 400) {
    const location: unknown = answer.headers?.['location'];
    const target = typeof location === 'string' ? ` to ${displayUrl(location, endpoint.tokenUrl)}` : '';
    throw new RefreshFailedError(
      `axios-token-flight: token endpoint ${endpoint.displayUrl} answered with a redirect (${status})${target}; ` +
        'redirects are not followed, because they would carry the client credentials and refresh token elsewhere: set tokenUrl to the final URL',
      { key: context.key, http: http() },
    );
  }
  try {
    return parseTokenResponse(status, text, context.key, endpoint.displayUrl, secrets, answer.headers?.['retry-after'], http);
  } catch (error) {
    // The answer may echo the client secret or the refresh token presented.
    throw redactError(error, secrets);
  }
}

/** What requestToken keeps of the token endpoint's response once the body is read. */
interface TokenEndpointAnswer {
  readonly status: number;
  readonly statusText?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
}

function tokenEndpointDetails(endpoint: ResolvedEndpoint, response: TokenEndpointAnswer, text: string): HttpDetails {
  let data: unknown = text;
  try {
    data = JSON.parse(text) as unknown;
  } catch {
    // not JSON: the text itself
  }
  return httpDetails(
    { ...response, data, config: { method: 'post', url: endpoint.displayUrl, headers: endpoint.headers } },
    ['authorization'],
    { tokenFields: true },
  );
}
