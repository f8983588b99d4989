import type { AxiosHeaders, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios';
import { originOf } from '../options';
import type { KnownSecrets } from '../refresh/known-secrets';
import type { Logger } from '../types';
import { isAllowedDestination } from './destination';
import { existingStateOf } from './state';

/** The header the plugin writes the token into. */
const TOKEN_HEADER = 'Authorization';

type RedirectHook = (options: Record<string, unknown>, responseDetails?: unknown, requestDetails?: unknown) => void;
type RequestTransform = (this: InternalAxiosRequestConfig, data: unknown, headers: AxiosHeaders) => unknown;

export interface SendGuardOptions {
  readonly origins: ReadonlySet<string> | null;
  readonly secrets: KnownSecrets;
  readonly logger: Logger | undefined;
}

export interface SendGuard {
  /** A `transformRequest` function: the last of the plugin's code to run before the adapter sends. */
  readonly transform: RequestTransform;
  /** Makes sure requests made with `config` (or with these instance defaults) pass through `transform`, last. */
  ensure(config: Pick<AxiosRequestConfig, 'transformRequest'>): void;
}

/**
 * Enforces, at the last moment, that no token value the plugin manages leaves for an origin that
 * is not allowed — whatever happened after the request interceptor decided:
 * - another interceptor (registered earlier, so run later) or a `transformRequest` changed the URL;
 * - the caller copied an earlier request's config or headers onto a request to another origin,
 *   or onto a `tokenFlight.skip` request;
 * - a redirect leads to another origin (Node http adapter: follow-redirects keeps `Authorization`
 *   for a subdomain on axios ≤ 1.20, so the plugin removes it itself).
 * axios runs `transformRequest` after every request interceptor, right before the adapter, with
 * `this` bound to the config on every version of the peer range.
 */
export function createSendGuard({ origins, secrets, logger }: SendGuardOptions): SendGuard {
  /** Our redirect hooks → the caller's own hook each one wraps, so re-sent configs do not nest them. */
  const wrappedHooks = new WeakMap<RedirectHook, RedirectHook | undefined>();

  const isManaged = (value: unknown): boolean => typeof value === 'string' && secrets.isManagedHeaderValue(value);

  const guardRedirects = (config: InternalAxiosRequestConfig): void => {
    const previous = config.beforeRedirect as RedirectHook | undefined;
    const callersHook = previous !== undefined && wrappedHooks.has(previous) ? wrappedHooks.get(previous) : previous;
    const state = existingStateOf(config);
    const hook: RedirectHook = (options, responseDetails, requestDetails) => {
      callersHook?.(options, responseDetails, requestDetails);
      if (origins === null || isAllowedRedirect(options, origins)) return;
      // The answer will come from a host that never saw our token (whether we or axios removed
      // it): not ours to classify, refresh for or replay.
      if (state !== undefined) state.sentVersion = undefined;
      const headers = options['headers'];
      if (typeof headers !== 'object' || headers === null) return;
      for (const name of Object.keys(headers)) {
        if (name.toLowerCase() === 'authorization' && isManaged((headers as Record<string, unknown>)[name])) {
          delete (headers as Record<string, unknown>)[name];
        }
      }
    };
    wrappedHooks.set(hook, callersHook);
    config.beforeRedirect = hook as NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;
  };

  const transform: RequestTransform = function guardTokenDestination(data, headers) {
    const state = existingStateOf(this);
    if (state?.sentVersion !== undefined) {
      if (isAllowedDestination(this, origins)) {
        guardRedirects(this);
        return data;
      }
      // Injected for an allowed origin, then redirected elsewhere by code that ran after us.
      state.sentVersion = undefined;
      logger?.warn('axios-token-flight: withheld the token: the request was pointed at another origin after it was injected', {
        key: state.key,
      });
    }
    // Not injected by us for this send (another origin, `skip`, or a destination changed after
    // injection): a token of ours may still be there, copied from an earlier request.
    const value: unknown = headers.get(TOKEN_HEADER);
    if (isManaged(value)) headers.delete(TOKEN_HEADER);
    return data;
  };

  return {
    transform,
    ensure(config) {
      const transforms: unknown = config.transformRequest;
      if (Array.isArray(transforms)) {
        if (transforms[transforms.length - 1] !== transform) transforms.push(transform);
      } else {
        config.transformRequest = (transforms === undefined || transforms === null ? [transform] : [transforms, transform]) as NonNullable<
          AxiosRequestConfig['transformRequest']
        >;
      }
    },
  };
}

/** follow-redirects hands the next hop's URL as `href` (or its parts). */
function isAllowedRedirect(options: Record<string, unknown>, origins: ReadonlySet<string>): boolean {
  const { href, protocol, hostname, port } = options;
  const target =
    typeof href === 'string'
      ? href
      : `${String(protocol)}//${String(hostname)}${port === undefined || port === null || port === '' ? '' : `:${String(port)}`}`;
  const origin = originOf(target);
  return origin !== undefined && origins.has(origin);
}
