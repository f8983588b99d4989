import type { ChangeKind, CredentialTombstone } from '../stores/token-store';
import { deletedBy } from '../token-rank';
import { normaliseTokenInput } from '../token-set';
import type { TokenSet } from '../types';
import type { FailureMemory } from './failure-memory';
import type { LockLoop } from './lock-loop';
import type { Persistence } from './persistence';
import { UNREADABLE, type StoreGuard, type StoreRead } from './store-guard';
import type { StoreView } from './store-view';
import type { TokenCache } from './token-cache';
import type { WakeUps } from './wake-ups';

/** How long a process that found no token waits for another process to put its copy back. */
const COPY_REQUEST_WAIT_MS = 1_000;
const COPY_POLL_MS = 100;

export interface LifecycleDeps {
  readonly guard: StoreGuard;
  readonly view: StoreView;
  readonly cache: TokenCache;
  readonly locks: LockLoop;
  readonly failures: FailureMemory;
  readonly persistence: Persistence | undefined;
  readonly wakeUps: WakeUps;
  readonly lifetime: AbortSignal;
}

/**
 * The operations that begin and end a credential — seed, expire, delete — the ask for a copy
 * when none can be found, and what other processes' change notices mean here. Separate from the refresh path (coordinator.ts), which only moves a
 * credential from one version to the next.
 */
export class CredentialLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /**
   * Seeds a grant: a new `generation`, so no copy of an older grant kept anywhere (through data
   * loss, or by a process that missed a deletion) outranks it, and a version above every version
   * this process has seen and the tombstone's.
   */
  async setToken(input: unknown, key: string): Promise<TokenSet> {
    const { locks, view, guard, persistence, failures } = this.deps;
    const check = normaliseTokenInput(input, null, Date.now());
    if ('problem' in check) throw new TypeError(`axios-token-flight: setToken: ${check.problem}`);
    const token = await locks.run(key, { done: () => false, recoverLostTokens: false }, async (stored, owner) => {
      const tombstone = stored === null ? await guard.tombstone(key) : null;
      const newest = view.newest(key, stored);
      // A deleted grant's refresh token and extra fields are not carried into the new one.
      const previous = newest !== null && deletedBy(newest, tombstone) ? null : newest;
      const now = Date.now();
      const result = normaliseTokenInput(input, previous, now);
      if ('problem' in result) throw new TypeError(`axios-token-flight: setToken: ${result.problem}`);
      const seeded: TokenSet = {
        ...result.token,
        version: Math.max(newest?.version ?? 0, tombstone?.version ?? 0) + 1,
        generation: Math.max(now, (tombstone?.deletedAt ?? 0) + 1, (newest?.generation ?? 0) + 1),
      };
      await view.write(key, seeded, stored, owner);
      await persistence?.save(key, seeded);
      return seeded;
    });
    await failures.clear(key);
    return token;
  }

  /** Marks the current version expired (fleet-wide) so the next use refreshes; keeps the refresh token. */
  async invalidate(key: string): Promise<void> {
    const { locks, view } = this.deps;
    const seen = view.newest(key, await view.pull(key));
    if (seen === null) return;
    await locks.run(
      key,
      {
        // Someone already replaced the version we meant to invalidate: nothing left to do.
        done: (current) => current !== null && current !== UNREADABLE && current.version !== seen.version,
        recoverLostTokens: false,
      },
      async (stored, owner) => {
        const now = Date.now();
        const expired: TokenSet = { ...seen, expiresAt: now, issuedAt: now, version: seen.version + 1 };
        await view.write(key, expired, stored, owner);
        return expired;
      },
    );
  }

  /**
   * Deletes fleet-wide: the store keeps a tombstone ranked above every grant seeded so far (so no
   * copy is put back, refreshed or restored from a lagging database), every process is told, and
   * the durable copy goes too. No lock: the tombstone fences writes already under way.
   */
  async deleteToken(key: string): Promise<void> {
    const { view, guard, persistence } = this.deps;
    const newest = view.newest(key, await view.pull(key));
    const tombstone: CredentialTombstone = {
      version: (newest?.version ?? 0) + 1,
      deletedAt: Math.max(Date.now(), (newest?.generation ?? 0) + 1),
    };
    await guard.delete(key, tombstone);
    this.forget(key);
    await persistence?.remove(key);
  }

  /**
   * A store's change notice: another process wrote, deleted or is missing `key`. Waiters for it
   * wake, and this process's copy is re-read on its next use.
   */
  onChangeNotice(key: string, version: number | undefined, kind: ChangeKind | undefined, token?: TokenSet): void {
    const { cache, guard, view, wakeUps, lifetime } = this.deps;
    const copy = cache.get(key)?.token;
    if (kind === 'deleted') {
      this.forget(key);
      return;
    }
    if (kind === 'wanted') {
      // A process found no token: ours goes back if the store is still empty (restore checks).
      if (copy !== undefined && !lifetime.aborted) guard.restore(key, copy).catch(() => undefined);
      return;
    }
    if (copy !== undefined && version !== undefined && version < copy.version && !lifetime.aborted) {
      // Someone wrote an older version than ours: the store went back (restarted empty and refilled
      // from a stale copy, rolled back). Put ours back before anyone refreshes from the older one.
      guard.restore(key, copy).catch(() => undefined);
    }
    // The written token came along: a waiter resumes without a read. Only for a credential this
    // process uses — every write of the fleet would otherwise fill its cache.
    if (token !== undefined && token.version === version && (copy !== undefined || wakeUps.waitsFor(key))) view.adopt(key, token);
    cache.markChanged(key, version);
    wakeUps.wake(key);
  }

  /** This process drops everything it holds for a deleted credential. */
  forget(key: string): void {
    this.deps.cache.delete(key);
    this.deps.persistence?.forget(key);
    this.deps.wakeUps.wake(key);
  }

  /**
   * No token anywhere this process can see: asks the other processes for their copy (they put it
   * back with `restore`, which only fills an empty or older store) and waits for it, briefly, and
   * only when some other process can hear the question. `null` when none arrived.
   */
  async copyFromFleet(key: string): Promise<TokenSet | null> {
    const { guard, view, wakeUps, lifetime } = this.deps;
    if (!(await guard.requestCopies(key))) return null;
    const deadline = Date.now() + COPY_REQUEST_WAIT_MS;
    while (Date.now() < deadline && !lifetime.aborted) {
      await wakeUps.pause(key, Math.min(COPY_POLL_MS, deadline - Date.now()), lifetime);
      const stored: StoreRead = await view.pull(key);
      if (stored !== null && stored !== UNREADABLE) return stored;
    }
    return null;
  }
}
