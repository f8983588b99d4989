/** Doubling waits: from `initial` ms, doubled each time, never above `max` ms (both after ±20 % jitter bounds). */
export interface Backoff {
  readonly initial: number;
  readonly max: number;
}

/** ±20 % around each wait, so a fleet that failed together does not retry together. */
const JITTER = 0.2;

/** The wait before try number `attempt` (0-based): doubles from `initial`, capped at `max`, jittered. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number): number {
  const base = Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, attempt));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
