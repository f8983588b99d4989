import { RefreshFailedError, TokenFlightError } from '../errors';
import type { TokenRefreshOptions } from '../options';
import { keepRefreshToken } from '../kept-refresh-token';
import { httpDetails, withoutTokenFields } from '../http-details';
import { isAxiosErrorLike, redactError, redactRequestBody } from '../secrets/redact';
import { describe } from '../describe';
import { normaliseTokenInput } from '../token-set';
import type { RefreshReason, TokenSet } from '../types';

/**
 * Calls the user's `refresh` with a timeout and returns its answer as the next token set: checked,
 * numbered after `current`, and marked with whether the provider rotated the refresh token.
 * Not aborted by `detach()` or `close()`: a refresh already sent may already have rotated the
 * refresh token at the provider, and its answer must be written, not dropped.
 */
export async function callRefresh(
  refresh: TokenRefreshOptions['refresh'],
  key: string,
  current: TokenSet | null,
  reason: RefreshReason,
  timeoutMs: number,
): Promise<TokenSet> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(
      new RefreshFailedError(`axios-token-flight: refresh did not settle within refreshTimeoutMs (${timeoutMs} ms)`, { key }),
    );
  }, timeoutMs);
  const context = Object.freeze({ key, current, reason, signal: controller.signal });
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  let input: unknown;
  try {
    input = await Promise.race([Promise.resolve().then(() => refresh(context)), aborted]);
  } finally {
    clearTimeout(timer);
  }
  const result = normaliseTokenInput(input, current, Date.now());
  if ('problem' in result) {
    const refused = new RefreshFailedError(`axios-token-flight: refresh() returned an unusable token: ${result.problem}`, { key });
    // The provider may have rotated the refresh token all the same: keep it (see kept-refresh-token.ts).
    throw keepRefreshToken(refused, (input as { refreshToken?: unknown } | null)?.refreshToken);
  }
  const presented = current?.refreshToken;
  if (presented === undefined) return result.token;
  return { ...result.token, rotatesRefreshToken: result.token.refreshToken !== presented };
}

/**
 * Any refresh failure becomes a typed error; anything we did not make ourselves becomes
 * `RefreshFailedError` — a `CanceledError` from the user's own token call too, so the request that
 * waited on it is not taken for one its caller cancelled (`axios.isCancel`).
 */
export function toRefreshError(error: unknown, key: string): TokenFlightError {
  if (error instanceof TokenFlightError) return error;
  // The cause may be the user's own axios call to a token endpoint: its body holds the refresh
  // token and client secret, its headers Basic credentials.
  redactRequestBody(redactError(error));
  const name = error instanceof Error ? error.name : describe(error);
  // The token endpoint's answer, when the user's own call got one: read like the helpers' errors.
  const answer = isAxiosErrorLike(error)
    ? (error.response as (Parameters<typeof httpDetails>[0] & { data?: unknown }) | undefined)
    : undefined;
  // Its body may hold tokens the plugin never saw (a refused answer): not left in the cause either.
  if (answer !== undefined) answer.data = withoutTokenFields(answer.data);
  const http = answer === undefined ? undefined : httpDetails(answer, ['authorization']);
  return new RefreshFailedError(`axios-token-flight: refresh() threw (${name}); see \`cause\``, { key, cause: error, http });
}
