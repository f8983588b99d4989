/** What the plugin reads from an absolute URL: its origin (http(s) only) and the user name in it. */
export interface WebUrl {
  readonly origin: string;
  readonly username: string;
}

/** `undefined` for anything that is not an absolute http(s) URL. */
export function parseWebUrl(url: string): WebUrl | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `undefined` for anything that is not an absolute http(s) URL. */
export function originOf(url: string): string | undefined {
  return parseWebUrl(url)?.origin;
}
