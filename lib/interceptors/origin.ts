import type { InternalAxiosRequestConfig } from 'axios';
import { originOf } from '../options';

/** axios' own test for an absolute URL; `//host/path` counts, as it does for axios. */
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** The origin this request will really be sent to, computed the way axios builds the URL. */
export function requestOrigin(config: InternalAxiosRequestConfig): string | undefined {
  const url = config.url ?? '';
  const baseURL = config.baseURL;
  const useBase = baseURL !== undefined && baseURL !== '' && (!ABSOLUTE_URL.test(url) || config.allowAbsoluteUrls === false);
  const full = useBase ? (url === '' ? baseURL : `${baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}`) : url;
  // An unparseable or protocol-relative URL yields undefined: fail closed, send no token.
  return originOf(full);
}

export function isAllowedOrigin(config: InternalAxiosRequestConfig, allowed: ReadonlySet<string> | null): boolean {
  if (allowed === null) return true;
  const origin = requestOrigin(config);
  return origin !== undefined && allowed.has(origin);
}
