import { CanceledError } from 'axios';
import type { GenericAbortSignal } from 'axios';

type AnySignal = AbortSignal | GenericAbortSignal | undefined;

/**
 * Races `promise` against the signals: the caller stops waiting, the promise itself
 * (a shared refresh) carries on for everyone else. Rejects with axios' own `CanceledError`
 * so `axios.isCancel(err)` works as users expect.
 */
export function abortable<T>(promise: Promise<T>, ...signals: AnySignal[]): Promise<T> {
  const active = signals.filter((s): s is AbortSignal | GenericAbortSignal => s !== undefined);
  if (active.length === 0) return promise;
  const aborted = active.find((s) => s.aborted);
  if (aborted !== undefined) return Promise.reject(canceled('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup();
      reject(canceled('aborted'));
    };
    const cleanup = (): void => {
      for (const s of active) s.removeEventListener?.('abort', onAbort);
    };
    for (const s of active) s.addEventListener?.('abort', onAbort);
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** A timer that the signals cancel; it never outlives an aborted caller or a detached plugin. */
export function sleep(ms: number, ...signals: AnySignal[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return abortable(timeout, ...signals).finally(() => clearTimeout(timer));
}

/**
 * axios' own `CanceledError`, so `axios.isCancel(err)` holds: `'aborted'` when the caller's signal
 * ended its wait, `'closed'` when `close()` or `detach()` ended the plugin.
 */
export function canceled(why: 'aborted' | 'closed'): CanceledError<unknown> {
  return new CanceledError(why === 'closed' ? 'axios-token-flight: closed' : 'axios-token-flight: the wait was aborted');
}

/** Waits for `promise` to settle, or `ms` at most; the timer never outlives the wait (a shutdown must not hang on it). */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([
      promise.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
