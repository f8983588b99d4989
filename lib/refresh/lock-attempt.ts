import { randomUUID } from 'node:crypto';
import type { TokenSet } from '../types';
import type { ReleaseSlot } from './refresh-slots';
import { UNREADABLE, type ReadOrLock, type StoreGuard, type StoreRead } from './store-guard';
import type { StoreView } from './store-view';

/** Whether a token read ends the wait (it is a `TokenSet` whenever this says yes). */
export type Satisfies = (token: StoreRead) => boolean;

/** This process's refresh slots (`maxConcurrentRefreshes`), as a lock attempt takes them. */
export interface SlotLine {
  /** A slot if one is free now; never queues. */
  now(): ReleaseSlot | undefined;
  /** Waits in line for a slot. */
  wait(): Promise<ReleaseSlot>;
}

/** What one attempt wants: a token that satisfies `done`, or the lock to make one. */
export interface AttemptRun {
  readonly done: Satisfies;
  /** Taken right before the lock, given back right after; reads never wait for one. */
  readonly slots?: SlotLine | undefined;
  /**
   * The newest version the caller would replace. With it, a store that can (`getOrLock`) reads and
   * takes the lock in one round trip — the only command a waiting process sends before the change
   * notice hands it the new token. Without it: read, lock attempt, re-read under the lock.
   */
  readonly replacing?: number | undefined;
}

/** How an attempt ended: served by what it read, holding the lock, or finding it held by another. */
export type Attempt = { readonly slotWaitMs: number } & (
  | { readonly outcome: 'served'; readonly token: TokenSet }
  | { readonly outcome: 'locked'; readonly current: StoreRead; readonly owner: string; readonly releaseSlot: ReleaseSlot | undefined }
  | { readonly outcome: 'held' }
);

export interface AttemptDeps {
  readonly guard: StoreGuard;
  readonly view: StoreView;
  readonly lockTtlMs: number;
}

/**
 * One try at "a usable token, or the lock": what the store holds is read, and when it does not
 * satisfy `run.done` the lock is tried; what is read under the lock is what a refresh starts from
 * (another process may have just finished). In one store call where the store offers it.
 */
export async function attemptLock(deps: AttemptDeps, key: string, run: AttemptRun): Promise<Attempt> {
  const { guard, view, lockTtlMs } = deps;
  const { done, slots, replacing } = run;
  const owner = randomUUID();
  let seen: StoreRead | undefined;
  let slot: ReleaseSlot | undefined;
  if (replacing !== undefined && guard.readsAndLocks) {
    // Only with a slot free now: a read must never queue behind other refreshes.
    slot = slots === undefined ? NO_SLOT : slots.now();
    if (slot !== undefined) {
      let answer: ReadOrLock;
      try {
        answer = await view.pullOrLock(key, { owner, ttlMs: lockTtlMs, ifVersionAtMost: replacing });
      } catch (error) {
        slot();
        throw error;
      }
      if (answer.locked) return underLock(deps, key, { done, current: answer.token, owner, releaseSlot: slot, slotWaitMs: 0 });
      if (done(answer.token)) {
        slot();
        return { outcome: 'served', token: answer.token as TokenSet, slotWaitMs: 0 };
      }
      if (!newerThan(answer.token, replacing)) {
        slot();
        return { outcome: 'held', slotWaitMs: 0 };
      }
      // Newer than what the caller replaces, yet not usable (already due): the lock, step by step.
      seen = answer.token;
    }
  }
  if (seen === undefined) {
    seen = await view.pull(key);
    if (done(seen)) return { outcome: 'served', token: seen as TokenSet, slotWaitMs: 0 };
  }
  const queuedAt = Date.now();
  const releaseSlot = slot ?? (await slots?.wait());
  // Time in line for a slot is not time spent waiting on another holder's lock.
  const slotWaitMs = Date.now() - queuedAt;
  let locked: boolean;
  try {
    locked = await guard.acquireLock(key, owner, lockTtlMs);
  } catch (error) {
    releaseSlot?.();
    throw error;
  }
  if (!locked) {
    releaseSlot?.();
    return { outcome: 'held', slotWaitMs };
  }
  let current: StoreRead;
  try {
    current = await view.pull(key);
  } catch (error) {
    await guard.releaseLock(key, owner).catch(() => undefined);
    releaseSlot?.();
    throw error;
  }
  return underLock(deps, key, { done, current, owner, releaseSlot, slotWaitMs });
}

/** Holding the lock: a token that satisfies after all (written just before we took it) ends the attempt, lock given back. */
async function underLock(
  { guard }: AttemptDeps,
  key: string,
  held: { done: Satisfies; current: StoreRead; owner: string; releaseSlot: ReleaseSlot | undefined; slotWaitMs: number },
): Promise<Attempt> {
  const { done, current, owner, releaseSlot, slotWaitMs } = held;
  if (done(current)) {
    await guard.releaseLock(key, owner).catch(() => undefined);
    releaseSlot?.();
    return { outcome: 'served', token: current as TokenSet, slotWaitMs };
  }
  return { outcome: 'locked', current, owner, releaseSlot, slotWaitMs };
}

const NO_SLOT: ReleaseSlot = () => undefined;

function newerThan(token: StoreRead, version: number): boolean {
  return token !== null && token !== UNREADABLE && token.version > version;
}
