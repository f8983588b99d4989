import { outranks } from '../token-rank';
import { randomUUID } from 'node:crypto';
import { RefreshFailedError } from '../errors';
import type { Reporter } from '../reporting/reporter';
import type { Logger, TokenSet } from '../types';
import { pollDelay } from './policies';
import type { LostTokenRecovery } from './recovery';
import { attemptLock, type AttemptRun, type Satisfies } from './lock-attempt';
import { UNREADABLE, type StoreGuard, type StoreRead } from './store-guard';
import type { StoreView } from './store-view';
import type { WakeUps } from './wake-ups';

/** Waiters give a lock holder this long past `lockTtlMs` before giving up. */
export const LOCK_WAIT_MARGIN_MS = 2_000;

export type { Satisfies } from './lock-attempt';

/** A waiter tries the lock again this long after the lock it saw held must have expired. */
const LOCK_EXPIRY_SLACK_MS = 25;

/** What `LockLoop.run` waits for, and how. */
export interface LockRun extends AttemptRun {
  /** Put back what the store lost before running the body (see `run`). */
  readonly recoverLostTokens: boolean;
}

export interface LockLoopDeps {
  readonly guard: StoreGuard;
  readonly view: StoreView;
  readonly wakeUps: WakeUps;
  readonly recovery: LostTokenRecovery;
  readonly lockTtlMs: number;
  /** Also the grace after putting back a lost token: the longest a refresh already on the wire can take. */
  readonly refreshTimeoutMs: number;
  readonly lifetime: AbortSignal;
  readonly random: () => number;
  /** Whether the store sends change notices (`subscribe`): waiters then poll only as a fallback. */
  readonly changeNotices: boolean;
  readonly logger: Logger | undefined;
  /** Where a wait for another process's lock is reported (`lock-wait`). */
  readonly reporter: Reporter;
  /** Throws `CanceledError` once the plugin is closing or detached. */
  assertOpen(): void;
}

/**
 * The cross-process half of single-flight: wait for another process's refresh, or take the lock,
 * re-read, and only then run the work; and put back what the store lost before anyone refreshes.
 */
export class LockLoop {
  constructor(private readonly deps: LockLoopDeps) {}

  /**
   * Poll the store until `done(token)` holds or the lock is ours (`attemptLock`: what is read under
   * the lock is what `body` starts from — another process may have just finished). Between tries, a
   * change notice wakes the waiter, and the token it carried serves it without a read. Bounded by
   * `lockTtlMs` + margin, so a waiter outlives a dead holder's lock and takes over.
   *
   * With `recoverLostTokens`, a store that lost what this process (or the durable copy) still has
   * gets it back first, and is never refreshed from older data. Then, still holding the lock — so
   * the whole fleet waits, not only this process — it waits up to `refreshTimeoutMs` for a newer
   * version: a refresher whose lock vanished with the store's data may still be writing back what
   * the provider gave it, and presenting the same refresh token again would be reuse.
   */
  async run(key: string, lockRun: LockRun, body: (current: StoreRead, owner: string) => Promise<TokenSet>): Promise<TokenSet> {
    const { guard, view, recovery, lockTtlMs, refreshTimeoutMs } = this.deps;
    const { done, recoverLostTokens } = lockRun;
    let deadline = Date.now() + lockTtlMs + LOCK_WAIT_MARGIN_MS;
    let recoveryTried = !recoverLostTokens;
    // A lock seen held at T is gone by T + lockTtlMs at the latest (a dead holder's included), and
    // its expiry sends no change notice: the waiter wakes for it instead of sleeping a full poll.
    let heldLockExpiresBy: number | undefined;
    /** When this process first found the lock held: it is waiting for another's refresh since. */
    let waitingSince: number | undefined;
    const waitEnded = (outcome: 'served' | 'acquired' | 'gave-up'): void => {
      if (waitingSince !== undefined) this.deps.reporter.report('lock-wait', { key, waitedMs: Date.now() - waitingSince, outcome });
      waitingSince = undefined;
    };
    // A change notice that carried the new token has put it in this process's copy: no read needed.
    const adopted = (): TokenSet | undefined => {
      const held = view.held(key);
      return held !== undefined && done(held) ? held : undefined;
    };
    for (let attempt = 0; ; attempt++) {
      this.deps.assertOpen();
      const served = attempt === 0 ? undefined : adopted();
      if (served !== undefined) {
        waitEnded('served');
        return served;
      }
      const step = await attemptLock(this.deps, key, lockRun);
      deadline += step.slotWaitMs;
      if (step.outcome === 'served') {
        waitEnded('served');
        return step.token;
      }
      if (step.outcome === 'locked') {
        const { current, owner, releaseSlot } = step;
        let lockHandedOver = false;
        try {
          waitEnded('acquired');
          const recovered = recoveryTried ? null : await recovery.recover(key, current, owner);
          recoveryTried = true;
          if (recovered === null) return await body(current, owner);
          this.deps.logger?.warn({ key, version: recovered.version }, 'axios-token-flight: the store had lost a token; put it back');
          // A store that cannot be read cannot tell us about a write-back either: use what we have.
          if (current === UNREADABLE) return done(recovered) ? recovered : await body(current, owner);
          if (done(recovered)) {
            // Our caller is served; the fleet still must not refresh from this token during the grace.
            lockHandedOver = true;
            void this.holdForGrace(key, owner, recovered.version);
            return recovered;
          }
          const newer = await this.#newerWithin(key, recovered.version, done, refreshTimeoutMs);
          if (newer !== undefined) return newer;
        } finally {
          if (!lockHandedOver) await guard.releaseLock(key, owner).catch(() => undefined);
          releaseSlot?.();
        }
        // Nobody wrote back: refresh from what was put back, under a fresh lock (its TTL must cover the refresh).
        continue;
      }
      waitingSince ??= Date.now();
      // The notice may have arrived while the attempt was on the wire, before there was a pause to cut short.
      const servedMeanwhile = adopted();
      if (servedMeanwhile !== undefined) {
        waitEnded('served');
        return servedMeanwhile;
      }
      if (Date.now() >= deadline) {
        waitEnded('gave-up');
        throw new RefreshFailedError(
          `axios-token-flight: another process held the refresh lock for "${key}" longer than lockTtlMs + ${LOCK_WAIT_MARGIN_MS} ms`,
          { key },
        );
      }
      const now = Date.now();
      if (heldLockExpiresBy === undefined || now >= heldLockExpiresBy) heldLockExpiresBy = now + lockTtlMs;
      const untilExpiry = heldLockExpiresBy - now + LOCK_EXPIRY_SLACK_MS;
      await this.deps.wakeUps.pause(
        key,
        Math.min(pollDelay(attempt, this.deps.random, this.deps.changeNotices), untilExpiry),
        this.deps.lifetime,
      );
    }
  }

  /** After an outage, every token this process holds goes back where the store lost it (see `putBack`). */
  async putBackAll(copies: ReadonlyArray<readonly [string, { readonly token: TokenSet }]>): Promise<void> {
    for (const [key, { token }] of copies) {
      try {
        await this.putBack(key, token);
      } catch {
        // The store failed again: keep the copy and try again when it next answers.
        this.deps.guard.writeBackLater();
      }
    }
  }

  /**
   * After an outage, each token this process holds goes back the way every recovery does — under
   * the lock, only if the store is still empty or older, keeping the lock through the grace — so
   * nobody refreshes from an older copy put back meanwhile. If another process holds the lock, it
   * may be waiting out exactly that grace for a newer version: put ours back without the lock
   * (`restore` never overwrites a newer version).
   */
  async putBack(key: string, copy: TokenSet): Promise<void> {
    const owner = randomUUID();
    if (!(await this.deps.guard.acquireLock(key, owner, this.deps.lockTtlMs))) {
      if (await this.deps.guard.restore(key, copy)) return;
      // Not taken: fine if the store has as new a version; otherwise (a store without `restore`
      // cannot write without the lock) try again when the lock is free.
      const stored = await this.deps.view.pull(key);
      if (stored === null && (await this.deps.view.isDeleted(key, copy))) return;
      if (stored !== UNREADABLE && (stored === null || outranks(copy, stored))) this.deps.guard.writeBackLater();
      return;
    }
    try {
      const recovered = await this.deps.recovery.recover(key, await this.deps.view.pull(key), owner);
      if (recovered === null) {
        await this.deps.guard.releaseLock(key, owner).catch(() => undefined);
        return;
      }
      this.deps.logger?.info({ key, version: recovered.version }, 'axios-token-flight: put back a token the store did not have');
      void this.holdForGrace(key, owner, recovered.version);
    } catch (error) {
      await this.deps.guard.releaseLock(key, owner).catch(() => undefined);
      throw error;
    }
  }

  /** Keeps a lock taken to put back a lost token until a newer version shows up or the grace ends. */
  async holdForGrace(key: string, owner: string, version: number): Promise<void> {
    try {
      await this.#newerWithin(key, version, () => true, this.deps.refreshTimeoutMs);
    } catch {
      // closed or detached: give the lock back now
    } finally {
      await this.deps.guard.releaseLock(key, owner).catch(() => undefined);
    }
  }

  /** Polls the store (woken early by change notices) for a version above `version` that satisfies `done`, for up to `ms`. */
  async #newerWithin(key: string, version: number, done: Satisfies, ms: number): Promise<TokenSet | undefined> {
    const until = Date.now() + ms;
    for (let attempt = 0; Date.now() < until; attempt++) {
      this.deps.assertOpen();
      await this.deps.wakeUps.pause(
        key,
        Math.min(pollDelay(attempt, this.deps.random, this.deps.changeNotices), Math.max(0, until - Date.now())),
        this.deps.lifetime,
      );
      const seen = await this.deps.view.pull(key);
      if (seen !== null && seen !== UNREADABLE && seen.version > version && done(seen)) return seen;
    }
    return undefined;
  }
}
