/**
 * Request options from axios versions newer than the oldest one supported (1.6.0): `fetchOptions`
 * (1.7, fetch adapter) and `allowAbsoluteUrls` (1.8). Read and written through this type so the
 * plugin also compiles against the 1.6 typings; at runtime older versions simply ignore them.
 */
export interface NewerConfigOptions {
  fetchOptions?: Record<string, unknown> | undefined;
  allowAbsoluteUrls?: boolean | undefined;
}
