import type { AxiosError, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import {
  ReauthorizationRequiredError,
  ReplayLimitError,
  TokenFlightError,
  TokenPropagationError,
  UnreplayableRequestError,
} from '../errors';
import { isAxiosErrorLike } from '../secrets/redact';
import { sleep } from '../async/abortable';
import { backoffDelay } from '../backoff';
import type { Verdict } from '../types';
import { httpDetails } from '../http-details';
import { classify } from './classify';
import type { PluginContext } from './context';
import { isUnreplayableBody, replay } from './replay';
import { existingStateOf, type TokenFlightState } from './state';

/** State of a request that went out with a token from us. */
type SentState = TokenFlightState & { key: string; sentVersion: number; sentIssuedAt: number };

function sentState(config: InternalAxiosRequestConfig | undefined): SentState | undefined {
  const state = existingStateOf(config);
  return state?.sentVersion === undefined ? undefined : (state as SentState);
}

/**
 * Classifies every response of a request we put a token on — fulfilled ones too (Slack says
 * `ok:false` with HTTP 200; users set `validateStatus`) — and answers a rejection with a
 * propagation wait or a refresh, then a replay.
 */
export function createResponseInterceptors(context: PluginContext) {
  // Not `async`: the common case (no verdict) hands the response straight back without a promise.
  function onFulfilled(response: AxiosResponse): AxiosResponse | Promise<AxiosResponse> {
    const state = sentState(response.config);
    if (state === undefined) return response;
    const verdict = classifyCounted(context, response, state.key);
    if (verdict === undefined || context.sendGuard.redirectedAway(response)) return response;
    return handleRejection(context, response.config, state, { verdict, response, error: undefined });
  }

  async function onRejected(error: unknown): Promise<AxiosResponse> {
    // Ours (thrown by the request interceptor or a nested replay): already final.
    if (error instanceof TokenFlightError || !isAxiosErrorLike(error)) throw error;
    const axiosError = error as AxiosError;
    const state = sentState(axiosError.config);
    // Not sent with our token: not ours to classify or redact (a retry may still need its header).
    if (state === undefined || axiosError.config === undefined) throw error;
    if (axiosError.response !== undefined) {
      const verdict = classifyCounted(context, axiosError.response, state.key);
      // A redirect took the request to a host that never saw our token: its answer is not ours.
      if (verdict !== undefined && !context.sendGuard.redirectedAway(axiosError.response)) {
        return handleRejection(context, axiosError.config, state, { verdict, response: axiosError.response, error: axiosError });
      }
    }
    throw context.redact(error, state.key);
  }

  return { onFulfilled, onRejected };
}

function classifyCounted(context: PluginContext, response: AxiosResponse, key: string): Verdict | undefined {
  try {
    return classify(response, context.options.matchers, key);
  } catch (failure) {
    countFailure(context, failure);
    throw failure;
  }
}

/** What the matchers saw: their verdict, the response, and the error when axios rejected. */
interface Rejection {
  readonly verdict: Verdict;
  readonly response: AxiosResponse;
  readonly error: AxiosError | undefined;
}

async function handleRejection(
  context: PluginContext,
  config: InternalAxiosRequestConfig,
  state: SentState,
  rejection: Rejection,
): Promise<AxiosResponse> {
  let verdict: 'refresh' | 'propagation';
  try {
    verdict = await prepareReplay(context, config, state, rejection);
    const { beforeReplay, inject } = context.options;
    if (beforeReplay !== undefined) {
      // The caller's last word on the replay (re-sign it, a new timestamp). The rejected token is
      // taken out first and our interceptor injects the current one after it: it never sees a token.
      config.headers.delete(inject.header);
      await beforeReplay(config, { key: state.key, attempt: state.replays + state.propagationWaits, verdict });
    }
  } catch (failure) {
    countFailure(context, failure);
    throw context.redact(failure, state.key);
  }
  // Outside the try: a failing replay was already counted by the nested interceptor.
  const resend = { key: state.key, resendCount: state.replays + state.propagationWaits, verdict };
  return context.reporter.sendAgain(resend, () => replay(context, config));
}

/**
 * Waits out propagation or gets a newer token, and bumps the counters; throws when the request must
 * end. Returns why the request is replayed.
 */
async function prepareReplay(
  context: PluginContext,
  config: InternalAxiosRequestConfig,
  state: SentState,
  { verdict, response, error }: Rejection,
): Promise<'refresh' | 'propagation'> {
  const { options, coordinator, reporter } = context;
  const { key, sentVersion } = state;
  const { status } = response;
  /**
   * What every error thrown here carries: the redacted AxiosError, and the API's answer and the
   * request as an axios user reads them. Built only when the request ends: a replay needs neither.
   */
  const details = () => ({ key, cause: context.redact(error, key), http: httpDetails(response, context.secretHeaders) });

  if (verdict === 'reauthorize') {
    throw new ReauthorizationRequiredError(
      `axios-token-flight: the API says the grant behind "${key}" is gone (HTTP ${status}); refreshing cannot help, the user must authorise again`,
      details(),
    );
  }

  if (isUnreplayableBody(config.data)) {
    // Still replace the token, so the caller's own retry (with a fresh stream) succeeds.
    if (verdict === 'refresh') coordinator.replacementFor(key, sentVersion).catch(() => undefined);
    throw new UnreplayableRequestError(
      'axios-token-flight: the token was rejected, but the request body is a stream that was consumed by the first send; send the request again with a new stream',
      details(),
    );
  }

  const tokenAgeMs = Date.now() - state.sentIssuedAt;
  if (verdict === 'propagation' && tokenAgeMs < options.propagationWindowMs) {
    const attempt = state.propagationWaits;
    const delayMs = backoffDelay(attempt, options.propagationBackoffMs, context.random);
    if (attempt >= options.maxPropagationWaits) {
      throw new TokenPropagationError(
        `axios-token-flight: token version ${sentVersion} for "${key}" was still not accepted after ${attempt} propagation waits`,
        { ...details(), retryAfterMs: Math.max(delayMs, options.propagationWindowMs - tokenAgeMs) },
      );
    }
    state.propagationWaits = attempt + 1;
    reporter.report('propagation-wait', { key, version: sentVersion, attempt: attempt + 1, delayMs, tokenAgeMs });
    await sleep(delayMs, config.signal, context.lifetime);
    // Replays the same token, unless someone replaced it meanwhile: the request interceptor sends the current one.
    return 'propagation';
  }

  // A refresh verdict, or a "not propagated" verdict for a token too old to still be propagating.
  if (state.replays >= (config.tokenFlight?.maxReplays ?? options.maxReplays)) {
    throw new ReplayLimitError(
      `axios-token-flight: token version ${sentVersion} for "${key}" was rejected after ${state.replays} replays (maxReplays)`,
      details(),
    );
  }
  await coordinator.replacementFor(key, sentVersion, config.signal);
  state.replays += 1;
  reporter.report('replay', { key, attempt: state.replays, rejectedVersion: sentVersion, method: (config.method ?? 'get').toUpperCase() });
  return 'refresh';
}

/** Counts a request the plugin failed; cancellations by the caller are not failures. */
export function countFailure(context: PluginContext, error: unknown): void {
  if (error instanceof TokenFlightError) context.stats.failures += 1;
}
