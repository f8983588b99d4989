import type { InternalAxiosRequestConfig } from 'axios';
import { originOf } from '../options';

/** axios' own test for an absolute URL; `//host/path` counts, as it does for axios. */
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

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

/** The origin this request will really be sent to, computed the way axios builds the URL. */
export function requestOrigin(config: InternalAxiosRequestConfig): string | undefined {
  const url = config.url ?? '';
  const baseURL = config.baseURL;
  const absolute = ABSOLUTE_URL.test(url);
  // The common case: a path relative to an absolute baseURL cannot change the base's origin.
  if (baseURL !== undefined && baseURL !== '' && !absolute) {
    const origin = baseOrigin(baseURL);
    if (origin !== undefined) return origin;
  }
  const useBase = baseURL !== undefined && baseURL !== '' && (!absolute || config.allowAbsoluteUrls === false);
  const full = useBase ? (url === '' ? baseURL : `${baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}`) : url;
  // An unparseable or protocol-relative URL yields undefined: fail closed, send no token.
  return originOf(full);
}

export function isAllowedOrigin(config: InternalAxiosRequestConfig, allowed: ReadonlySet<string> | null): boolean {
  if (allowed === null) return true;
  const origin = requestOrigin(config);
  return origin !== undefined && allowed.has(origin);
}
