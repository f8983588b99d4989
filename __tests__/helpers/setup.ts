import axios, { type AxiosInstance } from 'axios';
import { NO_EXTRA } from '../../lib/token-extra';
import {
  attachTokenRefresh,
  type Logger,
  TOKEN_FLIGHT_EVENTS,
  type TokenRefreshHandle,
  type TokenRefreshOptions,
  type TokenSet,
} from '../../lib';
import { startApi, type TestApi } from './api-server';
import { TokenAuthority, type AuthorityOptions } from './token-authority';

export interface Harness {
  readonly api: TestApi;
  readonly authority: TokenAuthority;
  readonly client: AxiosInstance;
  readonly handle: TokenRefreshHandle;
  /** Every event payload emitted, as JSON, for "no token in events" checks. */
  readonly eventLog: string[];
}

const open: Array<() => Promise<void>> = [];

/** A local API guarded by a token authority, and an axios instance with the plugin attached. */
export async function harness(options: Partial<TokenRefreshOptions> = {}, authorityOptions: AuthorityOptions = {}): Promise<Harness> {
  const authority = new TokenAuthority(authorityOptions);
  const api = await startApi(authority.handler());
  const client = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(client, { refresh: authority.refresh, ...options });
  const eventLog: string[] = [];
  for (const name of TOKEN_FLIGHT_EVENTS) handle.events.on(name, (payload: unknown) => eventLog.push(`${name} ${JSON.stringify(payload)}`));
  open.push(async () => {
    handle.detach();
    await api.close();
  });
  return { api, authority, client, handle, eventLog };
}

/** Call from `afterEach`: detaches every handle and closes every server the test opened. */
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((close) => close()));
}

/** Seeds a token the API already accepts, as if an earlier process had obtained it. */
export async function seedAccepted(h: Harness, extra: { expiresIn?: number } = {}): Promise<string> {
  const token = h.authority.issue();
  await h.handle.setToken({ accessToken: token, refreshToken: 'refresh-0', expiresIn: extra.expiresIn ?? 3600 });
  return token;
}

/** Seeds a token the API rejects (expired or revoked at the provider). */
export async function seedRejected(h: Harness): Promise<string> {
  const token = 'revoked-access-token';
  await h.handle.setToken({ accessToken: token, refreshToken: 'refresh-0', expiresIn: 3600 });
  return token;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type LogLines = Array<[Record<string, unknown>, string]>;

/** A logger that keeps its warnings and infos as `[fields, message]`, to assert what was logged (and that no token was). */
export function recordingLogger(): { logger: Logger; warnings: LogLines; infos: LogLines } {
  const warnings: LogLines = [];
  const infos: LogLines = [];
  const ignore = (): void => undefined;
  return {
    logger: {
      debug: ignore,
      error: ignore,
      info: (fields, message) => void infos.push([fields, message]),
      warn: (fields, message) => void warnings.push([fields, message]),
    },
    warnings,
    infos,
  };
}

/**
 * What a test must undo (servers, handles, clients), run after it, last first:
 * `cleanups.push(...)` in the test, `await cleanups.run()` in `afterEach`.
 */
export class Cleanups {
  readonly #pending: Array<() => unknown> = [];

  push(...cleanups: Array<() => unknown>): void {
    this.#pending.push(...cleanups);
  }

  async run(): Promise<void> {
    for (const cleanup of this.#pending.splice(0).reverse()) await cleanup();
  }
}

/** Polls `condition` every 10 ms until it holds; after `ms`, fails naming `what` was awaited. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A stored token set of `version`, valid for an hour, with a refresh token: what a store would hold. */
export function storedToken(version: number): TokenSet {
  return {
    accessToken: `at-${version}`,
    refreshToken: `rt-${version}`,
    expiresAt: Date.now() + 3_600_000,
    issuedAt: Date.now(),
    version,
    extra: NO_EXTRA,
  };
}

/**
 * A harness whose API answers a fresh token `409 not propagated yet` (matched as `propagation`) the
 * first `times` times it sees one, then accepts it; 401 still means `refresh`. Seed with `seedRejected`.
 */
export async function propagatingHarness(times: number): Promise<Harness> {
  const h = await harness({
    matchers: [(response) => (response.status === 409 ? 'propagation' : response.status === 401 ? 'refresh' : undefined)],
  });
  let left = times;
  const accepts = h.authority.handler();
  h.api.handle((request) => {
    if (request.authorization !== 'Bearer revoked-access-token' && left > 0) {
      left -= 1;
      return { status: 409, body: { message: 'not propagated yet' } };
    }
    return accepts(request);
  });
  return h;
}
