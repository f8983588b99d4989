import type { InternalAxiosRequestConfig } from 'axios';
import { originOf } from '../options';
import type { NewerConfigOptions } from '../axios-newer-options';

/**
 * axios' own test for an absolute URL (`/^([a-z][a-z\d+\-.]*:)?\/\//i`: a scheme, then `//`; a
 * protocol-relative `//host/path` counts), as a character scan: it runs twice per request, and the
 * common relative path is decided by its first two characters.
 */
export function isAbsoluteUrl(url: string): boolean {
  let index = 0;
  const first = url.charCodeAt(0);
  if (isLetter(first)) {
    for (index = 1; index < url.length; index++) {
      const code = url.charCodeAt(index);
      if (code === 58 /* : */) {
        index += 1;
        break;
      }
      if (!(isLetter(code) || (code >= 48 && code <= 57) || code === 43 /* + */ || code === 45 /* - */ || code === 46 /* . */)) return false;
    }
    // No `:` found: `index` is past the end, so the `//` test below fails.
  }
  return url.charCodeAt(index) === 47 && url.charCodeAt(index + 1) === 47;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Origins of the few baseURLs an application uses, so a relative request parses no URL. */
const baseOrigins = new Map<string, string | undefined>();
const MAX_CACHED_BASES = 64;

function baseOrigin(baseURL: string): string | undefined {
  if (baseOrigins.has(baseURL)) return baseOrigins.get(baseURL);
  const origin = originOf(baseURL);
  if (baseOrigins.size >= MAX_CACHED_BASES) baseOrigins.clear();
  baseOrigins.set(baseURL, origin);
  return origin;
}

function allows(allowed: ReadonlySet<string>, origin: string | undefined): boolean {
  return origin !== undefined && allowed.has(origin);
}

/**
 * Whether every place axios may send this request is an allowed origin (`null` = any origin).
 *
 * Where a request goes depends on the axios version: with `allowAbsoluteUrls: false` and an
 * absolute `url`, axios ≥ 1.8.2 joins it to `baseURL`, but 1.6.0–1.8.1 ignore the option and
 * send to `url` itself. Rather than guess which axios is loaded (an application can hold two
 * copies), both candidates must be allowed: a request that would reach a foreign origin on any
 * version in the peer range goes out without the token. A URL that does not parse (a
 * protocol-relative one, say) is never allowed: fail closed.
 */
export function isAllowedDestination(config: InternalAxiosRequestConfig, allowed: ReadonlySet<string> | null): boolean {
  if (allowed === null) return true;
  const rawUrl: unknown = config.url;
  // A URL object is sent where it points; anything else is judged as the text axios would see.
  const url = typeof rawUrl === 'string' ? rawUrl : rawUrl === undefined || rawUrl === null ? '' : String(rawUrl);
  const baseURL = typeof config.baseURL === 'string' && config.baseURL !== '' ? config.baseURL : undefined;
  const absolute = isAbsoluteUrl(url);
  if (!absolute) {
    // Joined to baseURL: `base + '/' + path` cannot leave the base's origin. No baseURL: not a URL.
    return baseURL !== undefined && allows(allowed, baseOrigin(baseURL));
  }
  if (baseURL !== undefined && (config as NewerConfigOptions).allowAbsoluteUrls === false && !allows(allowed, baseOrigin(baseURL))) return false;
  return allows(allowed, originOf(url));
}
