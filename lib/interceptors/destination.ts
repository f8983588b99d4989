import type { InternalAxiosRequestConfig } from 'axios';
import type { NewerConfigOptions } from '../axios-newer-options';
import { parseWebUrl } from '../origin';

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
      if (!((isLetter(code) || (code >= 48 && code <= 57) || code === 43 /* + */ || code === 45 /* - */ || code === 46) /* . */))
        return false;
    }
    // No `:` found: `index` is past the end, so the `//` test below fails.
  }
  return url.charCodeAt(index) === 47 && url.charCodeAt(index + 1) === 47;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** What a URL tells the send decision: its origin, and whether it carries a user name for axios to log in with. */
interface UrlFacts {
  readonly origin: string | undefined;
  /** axios (http adapter) turns `user:pass@` into `Authorization: Basic …`, replacing ours. */
  readonly logsInItself: boolean;
}

/** Facts about the few baseURLs an application uses, so a relative request parses no URL. */
const baseFacts = new Map<string, UrlFacts>();
const MAX_CACHED_BASES = 64;

function factsOf(url: string): UrlFacts {
  const parsed = parseWebUrl(url);
  return { origin: parsed?.origin, logsInItself: parsed !== undefined && parsed.username !== '' };
}

function baseFactsOf(baseURL: string): UrlFacts {
  let facts = baseFacts.get(baseURL);
  if (facts !== undefined) return facts;
  facts = factsOf(baseURL);
  if (baseFacts.size >= MAX_CACHED_BASES) baseFacts.clear();
  baseFacts.set(baseURL, facts);
  return facts;
}

/** Where a request may go, as far as the token is concerned. */
export type Destination =
  /** Every place axios may send it is allowed: the token goes on. */
  | 'allowed'
  /** Somewhere the token must not go (or it cannot be told where): no token. */
  | 'foreign'
  /** axios will write its own `Authorization` (`auth`, or `user@` in the URL): not the plugin's request. */
  | 'own-login';

/**
 * Where axios may send this request, judged against the allowed origins (`null` = any origin).
 *
 * Where a request goes depends on the axios version, and the plugin does not guess which one is
 * loaded (an application can hold two copies):
 * - `allowAbsoluteUrls`: 1.6.0–1.8.1 ignore it; 1.8.2–1.14 join an absolute `url` to `baseURL`
 *   when the option is loosely false (`0`, `''`, `[]`, `null`), 1.15+ only when it is `false`;
 * - a `url` that is not a string primitive (a `String` or `URL` object): 1.15+ treat it as relative
 *   and join it to `baseURL`, older versions judge its text.
 * So whenever the option is anything but `undefined`/`true`, or the URL is not a plain string, the
 * request is ambiguous, and **both** candidates — the URL's own origin and `baseURL`'s — must be
 * allowed. A URL that does not parse (a protocol-relative one, say) is never allowed: fail closed.
 */
export function destinationOf(config: InternalAxiosRequestConfig, allowed: ReadonlySet<string> | null, axiosLogsIn: boolean): Destination {
  if (axiosLogsIn && config.auth !== undefined && config.auth !== null) return 'own-login';
  if (allowed === null && !axiosLogsIn) return 'allowed';
  const rawUrl: unknown = config.url;
  const plainString = typeof rawUrl === 'string';
  const url = plainString ? rawUrl : rawUrl === undefined || rawUrl === null ? '' : String(rawUrl);
  const base = baseFactsFor(config.baseURL);
  if (!isAbsoluteUrl(url)) {
    // Joined to baseURL: `base + '/' + path` cannot leave the base's origin. No baseURL: not a URL.
    if (base === undefined) return allowed === null ? 'allowed' : 'foreign';
    if (axiosLogsIn && base.logsInItself) return 'own-login';
    return allows(allowed, base.origin) ? 'allowed' : 'foreign';
  }
  const looseOption: unknown = (config as NewerConfigOptions).allowAbsoluteUrls;
  const ambiguous = !plainString || (looseOption !== undefined && looseOption !== true);
  const own = factsOf(url);
  if (axiosLogsIn && (own.logsInItself || (ambiguous && base?.logsInItself === true))) return 'own-login';
  if (ambiguous && base !== undefined && !allows(allowed, base.origin)) return 'foreign';
  return allows(allowed, own.origin) ? 'allowed' : 'foreign';
}

/** axios joins to any truthy baseURL (a `String` object too): its text is what it would use. */
function baseFactsFor(rawBase: unknown): UrlFacts | undefined {
  if (typeof rawBase === 'string') return rawBase === '' ? undefined : baseFactsOf(rawBase);
  return rawBase === undefined || rawBase === null ? undefined : baseFactsOf(String(rawBase));
}

function allows(allowed: ReadonlySet<string> | null, origin: string | undefined): boolean {
  return allowed === null || (origin !== undefined && allowed.has(origin));
}
