import type { AxiosHeaders, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios';
import { originOf } from '../origin';
import type { KnownSecrets } from '../secrets/known-secrets';
import type { TokenInjection } from '../token-header';
import type { Logger } from '../types';
import { destinationOf } from './destination';
import type { NewerConfigOptions } from '../axios-newer-options';
import { existingStateOf } from './state';

type RedirectHook = (options: Record<string, unknown>, responseDetails?: unknown, requestDetails?: unknown) => void;
type RequestTransform = (this: InternalAxiosRequestConfig, data: unknown, headers: AxiosHeaders) => unknown;

export interface SendGuardOptions {
  readonly origins: ReadonlySet<string> | null;
  readonly secrets: KnownSecrets;
  readonly logger: Logger | undefined;
  /** The header the token is written into (and guarded in). */
  readonly injection: Pick<TokenInjection, 'header' | 'headerLower'>;
}

export interface SendGuard {
  /** The guard itself, as a `transformRequest` function: the last of the plugin's code to run before the adapter sends. */
  readonly transform: RequestTransform;
  /** Makes sure a request made with `config` passes through `transform` last (composed into its last transform). */
  ensure(config: Pick<AxiosRequestConfig, 'transformRequest'>): void;
  /** Puts the guard and the redirect hook in the instance's defaults, so requests normally need no change. */
  install(defaults: Pick<AxiosRequestConfig, 'transformRequest' | 'beforeRedirect'>): void;
  /** Takes them out again (`detach()`), leaving a caller's own hook in place. */
  uninstall(defaults: Pick<AxiosRequestConfig, 'transformRequest' | 'beforeRedirect'>): void;
  /**
   * Whether a response arrived after a redirect that left the allowed origins (the token was not
   * sent there, so its answer is not ours to act on). Only called when a matcher gave a verdict.
   */
  redirectedAway(response: { readonly request?: unknown } | undefined): boolean;
}

/**
 * Enforces, at the last moment, that no token value the plugin manages leaves for an origin that
 * is not allowed — whatever happened after the request interceptor decided:
 * - another interceptor (registered earlier, so run later) or a `transformRequest` changed the URL;
 * - the caller copied an earlier request's config or headers onto a request to another origin,
 *   or onto a `tokenFlight.skip` request;
 * - a redirect leads to another origin (Node http adapter: follow-redirects keeps `Authorization`
 *   for a subdomain on axios ≤ 1.20, and any other header everywhere, so the plugin removes it
 *   itself). fetch removes only `Authorization`: with another header, a fetch request is sent with
 *   `redirect: 'manual'` (the 3xx comes back as the response).
 * axios runs `transformRequest` after every request interceptor, right before the adapter, with
 * `this` bound to the config on every version of the peer range.
 *
 * Nothing here allocates per request: one redirect hook per plugin (plus one per distinct hook of
 * the caller's it wraps), and a redirect chain is remembered by follow-redirects' own options object.
 */
export function createSendGuard({ origins, secrets, logger, injection }: SendGuardOptions): SendGuard {
  const { header, headerLower } = injection;
  /** fetch drops only `Authorization` on a cross-origin redirect; any other header would follow it. */
  const fetchKeepsHeaderOnRedirect = headerLower !== 'authorization';
  /** axios writes its own `Authorization` for `auth` and `user@host`; only that header is replaced. */
  const axiosMayLogIn = headerLower === 'authorization';
  /** A header value, in any shape axios passes on (a string, or an array it joins), that carries one of our tokens. */
  const isManaged = (value: unknown): boolean =>
    typeof value === 'string' ? secrets.isManagedHeaderValue(value) : Array.isArray(value) && value.some((item) => isManaged(item));
  /** follow-redirects' per-request options objects whose chain left the allowed origins. */
  const leftAllowedOrigins = new WeakSet<object>();

  const guardRedirect = (options: Record<string, unknown>): void => {
    if (origins === null || isAllowedRedirect(options, origins)) return;
    leftAllowedOrigins.add(options);
    const headers = options['headers'];
    if (typeof headers !== 'object' || headers === null) return;
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === headerLower && isManaged((headers as Record<string, unknown>)[name])) {
        delete (headers as Record<string, unknown>)[name];
      }
    }
  };
  /** Our hooks → the caller's hook each wraps (none for the bare one); the caller's runs first. */
  const callersHookOf = new WeakMap<RedirectHook, RedirectHook | undefined>([[guardRedirect, undefined]]);
  const composed = new WeakMap<RedirectHook, RedirectHook>();
  const hookFor = (current: unknown): RedirectHook => {
    if (current === undefined || current === null) return guardRedirect;
    const callers = current as RedirectHook;
    if (callersHookOf.has(callers)) return callers;
    let hook = composed.get(callers);
    if (hook === undefined) {
      hook = (options, responseDetails, requestDetails) => {
        callers(options, responseDetails, requestDetails);
        guardRedirect(options);
      };
      callersHookOf.set(hook, callers);
      composed.set(callers, hook);
    }
    return hook;
  };

  const transform: RequestTransform = function guardTokenDestination(data, headers) {
    guardLaterTransforms(this.transformRequest);
    const state = existingStateOf(this);
    if (state?.sentVersion !== undefined) {
      const destination = destinationOf(this, origins, axiosMayLogIn);
      if (destination === 'allowed') {
        if (this.beforeRedirect !== guardRedirect)
          this.beforeRedirect = hookFor(this.beforeRedirect) as NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;
        if (fetchKeepsHeaderOnRedirect) followNoRedirectOnFetch(this as NewerConfigOptions);
        return data;
      }
      // Injected for an allowed origin, then pointed elsewhere (or given `auth`) by code that ran
      // after us: no token, and its 401 is not ours to refresh for.
      state.sentVersion = undefined;
      if (destination === 'foreign') {
        logger?.warn(
          { key: state.key },
          'axios-token-flight: withheld the token: the request was pointed at another origin after it was injected',
        );
      }
    }
    // Not injected by us for this send (another origin, `skip`, or a destination changed after
    // injection): a token of ours may still be there, copied from an earlier request.
    const value: unknown = headers.get(header);
    if (isManaged(value)) headers.delete(header);
    return data;
  };

  /**
   * A transform appended after the plugin ran (by an interceptor that runs after ours) would run
   * after the guard and could re-point the request. axios reads each entry of the list as it goes,
   * so the guard, while it runs, composes itself onto every entry behind it: they run guarded too.
   * The common case — the guarded transform is last — costs one look at the last entry.
   */
  const guardLaterTransforms = (transforms: unknown): void => {
    if (!Array.isArray(transforms)) return;
    for (let index = transforms.length - 1; index >= 0; index--) {
      const entry = transforms[index] as RequestTransform;
      if (originalOf.has(entry) || typeof entry !== 'function') return;
      transforms[index] = withGuard(entry);
    }
  };

  /**
   * The guard rides on the request's last transform instead of being appended: axios normalises
   * the headers once per transform function, so one more function costs every request a header
   * pass. Composed once per distinct last transform (the instance's default, our replay's), then
   * reused: nothing allocated per request.
   */
  const composedFor = new WeakMap<RequestTransform, RequestTransform>();
  const originalOf = new WeakMap<RequestTransform, RequestTransform | undefined>([[transform, undefined]]);
  const withGuard = (last: RequestTransform): RequestTransform => {
    if (originalOf.has(last)) return last;
    let composed = composedFor.get(last);
    if (composed === undefined) {
      composed = function transformThenGuard(this: InternalAxiosRequestConfig, data: unknown, headers: AxiosHeaders) {
        return transform.call(this, last.call(this, data, headers), headers);
      };
      composedFor.set(last, composed);
      originalOf.set(composed, last);
    }
    return composed;
  };
  /** The instance default's last transform, guarded: what nearly every request already ends with. */
  let installed: RequestTransform | undefined;
  const ensure = (config: Pick<AxiosRequestConfig, 'transformRequest'>): void => {
    const transforms: unknown = config.transformRequest;
    if (Array.isArray(transforms)) {
      const last = transforms[transforms.length - 1] as RequestTransform | undefined;
      if (last === installed && last !== undefined) return;
      if (last === undefined) transforms.push(transform);
      else transforms[transforms.length - 1] = withGuard(last);
    } else {
      config.transformRequest = (typeof transforms === 'function' ? withGuard(transforms as RequestTransform) : [transform]) as NonNullable<
        AxiosRequestConfig['transformRequest']
      >;
    }
  };

  return {
    transform,
    ensure,
    install(defaults) {
      ensure(defaults);
      const transforms: unknown = defaults.transformRequest;
      installed = Array.isArray(transforms) ? (transforms[transforms.length - 1] as RequestTransform) : (transforms as RequestTransform);
      defaults.beforeRedirect = hookFor(defaults.beforeRedirect) as NonNullable<AxiosRequestConfig['beforeRedirect']>;
    },
    uninstall(defaults) {
      if (Array.isArray(defaults.transformRequest)) {
        defaults.transformRequest = defaults.transformRequest
          .map((candidate) => (originalOf.has(candidate as RequestTransform) ? originalOf.get(candidate as RequestTransform) : candidate))
          .filter((candidate) => candidate !== undefined);
      }
      const current = defaults.beforeRedirect as RedirectHook | undefined;
      // Someone else's hook replaced ours since: leave it.
      const callers = current !== undefined && callersHookOf.has(current) ? callersHookOf.get(current) : current;
      if (callers === undefined) delete defaults.beforeRedirect;
      else defaults.beforeRedirect = callers as NonNullable<AxiosRequestConfig['beforeRedirect']>;
    },
    redirectedAway(response) {
      // The Node http adapter's response.request is the last hop's ClientRequest; follow-redirects
      // links it to its RedirectableRequest, whose options object our hook saw at each redirect.
      const redirectable = (response?.request as { _redirectable?: { _options?: unknown } } | undefined)?._redirectable;
      const options = redirectable?._options;
      return typeof options === 'object' && options !== null && leftAllowedOrigins.has(options);
    },
  };
}

const NO_REDIRECTS: Readonly<Record<string, unknown>> = Object.freeze({ redirect: 'manual' });

/**
 * With a header other than `Authorization`, a fetch request must not follow redirects: fetch drops
 * only `Authorization` on a cross-origin hop (the beforeRedirect hook never runs there). axios
 * selects fetch however the adapter is spelt (`'Fetch'`, a list, the function itself, the instance
 * or global default), so rather than guess, every such request says `redirect: 'manual'`: the http
 * adapter ignores `fetchOptions`, and under fetch the 3xx comes back as the answer.
 */
function followNoRedirectOnFetch(config: NewerConfigOptions): void {
  const current = config.fetchOptions;
  if (current === undefined) config.fetchOptions = NO_REDIRECTS;
  else if (current['redirect'] !== 'manual' && current['redirect'] !== 'error') config.fetchOptions = { ...current, redirect: 'manual' };
}

/** follow-redirects hands the next hop's URL as `href` (spread from the URL it resolved); without one, fail closed. */
function isAllowedRedirect(options: Record<string, unknown>, origins: ReadonlySet<string>): boolean {
  const { href } = options;
  const origin = typeof href === 'string' ? originOf(href) : undefined;
  return origin !== undefined && origins.has(origin);
}
