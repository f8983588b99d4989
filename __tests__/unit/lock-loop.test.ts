/**
 * The cross-process lock loop on the class itself, on a fake clock so every wait is exact: when a
 * waiter on a held lock tries again and when it gives up; how a lost token is put back and the lock
 * kept through the grace (and no longer); when a put-back that could not take the lock is left to a
 * later write-back. (The same behaviour across processes is in fleet, store-data-loss, chaos.)
 */
import { MemoryTokenStore, RefreshFailedError, type TokenStore } from '../../lib';
import { createEvents, createStats } from '../../lib/events';
import { Reporter } from '../../lib/reporting/reporter';
import { KnownSecrets } from '../../lib/secrets/known-secrets';
import { canceled } from '../../lib/async/abortable';
import { LockLoop } from '../../lib/refresh/lock-loop';
import { LostTokenRecovery } from '../../lib/refresh/recovery';
import { StoreGuard, UNREADABLE, type StoreRead } from '../../lib/refresh/store-guard';
import { StoreView } from '../../lib/refresh/store-view';
import { TokenCache } from '../../lib/refresh/token-cache';
import { WakeUps } from '../../lib/refresh/wake-ups';
import { ForgetfulStore } from '../helpers/forgetful-store';
import { recordingLogger, storedToken as token } from '../helpers/setup';

/** A memory store whose lock another process holds forever; every attempt to take it is timed. */
class LockNeverFree extends MemoryTokenStore {
  readonly attempts: number[] = [];
  override async acquireLock(): Promise<boolean> {
    this.attempts.push(Date.now());
    return false;
  }
}

function lockLoop(store: TokenStore, timing: { lockTtlMs: number; refreshTimeoutMs: number }) {
  const log = recordingLogger();
  const secrets = new KnownSecrets();
  const guard = new StoreGuard(store, 'fail', new Reporter(createEvents(), createStats(), log.logger), secrets, () => undefined);
  const cache = new TokenCache({ skewMs: 0, random: () => 0.5, maxEntries: 100, canEvict: () => guard.healthy, onEvict: () => undefined });
  const view = new StoreView(guard, cache, secrets, log.logger);
  const lifetime = new AbortController();
  const locks = new LockLoop({
    guard,
    view,
    wakeUps: new WakeUps(),
    recovery: new LostTokenRecovery(view, guard, cache, secrets, undefined),
    ...timing,
    lifetime: lifetime.signal,
    // Polls without jitter: 10, 20, 40, 80, 160, then every 250 ms.
    random: () => 0.5,
    changeNotices: false,
    logger: log.logger,
    reporter: new Reporter(createEvents(), createStats(), log.logger),
    assertOpen: () => {
      if (lifetime.signal.aborted) throw canceled('closed');
    },
  });
  return { locks, cache, guard, log, close: () => lifetime.abort() };
}

const newerThan =
  (version: number) =>
  (read: StoreRead): boolean =>
    read !== null && read !== UNREADABLE && read.version > version;
const lockIsFree = async (store: TokenStore): Promise<boolean> => {
  const free = await store.acquireLock('k', 'probe', 1);
  if (free) await store.releaseLock('k', 'probe');
  return free;
};

let start: number;
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  start = Date.now();
});
afterEach(() => {
  jest.useRealTimers();
});

it('a waiter on a lock that stays held tries again just after each time the lock it saw must have expired, and gives up at lockTtlMs + 2 s', async () => {
  const store = new LockNeverFree();
  const { locks } = lockLoop(store, { lockTtlMs: 1_000, refreshTimeoutMs: 1_000 });
  const body = jest.fn(async () => token(2));

  const outcome = locks.run('k', { done: newerThan(1), recoverLostTokens: false }, body).catch((error: unknown) => error);
  await jest.advanceTimersByTimeAsync(3_100);
  const error = await outcome;

  // Polls back off to 250 ms; the lock seen held at 0 ends by 1 000 and at 1 025 by 2 025: each is tried 25 ms after.
  expect(store.attempts.map((at) => at - start)).toEqual([
    0, 10, 30, 70, 150, 310, 560, 810, 1_025, 1_275, 1_525, 1_775, 2_025, 2_275, 2_525, 2_775, 3_025,
  ]);
  expect(error).toBeInstanceOf(RefreshFailedError);
  expect(error).toMatchObject({
    key: 'k',
    message: 'axios-token-flight: another process held the refresh lock for "k" longer than lockTtlMs + 2000 ms',
  });
  expect(body).not.toHaveBeenCalled();
});

it('a token the store lost is put back before any refresh, logged, and the refresh waits out the grace for a newer version first', async () => {
  const store = new MemoryTokenStore();
  const { locks, cache, log } = lockLoop(store, { lockTtlMs: 5_000, refreshTimeoutMs: 1_000 });
  cache.accept('k', token(3)); // this process's copy; the store restarted empty
  const refreshedAt: number[] = [];
  const body = jest.fn(async (current: StoreRead) => {
    refreshedAt.push(Date.now() - start);
    expect(current).toMatchObject({ version: 3 });
    return token(4);
  });

  const refreshed = locks.run('k', { done: newerThan(3), recoverLostTokens: true }, body);
  await jest.advanceTimersByTimeAsync(1_500);

  expect(await refreshed).toMatchObject({ version: 4 });
  expect(refreshedAt).toEqual([1_000]);
  expect(log.warnings).toEqual([[{ key: 'k', version: 3 }, 'axios-token-flight: the store had lost a token; put it back']]);
});

describe('putBack after an outage', () => {
  it('puts the copy back, logs it, and keeps the lock for exactly refreshTimeoutMs when nobody writes a newer version', async () => {
    const store = new MemoryTokenStore();
    const { locks, cache, log } = lockLoop(store, { lockTtlMs: 5_000, refreshTimeoutMs: 1_000 });
    cache.accept('k', token(3)); // held through an outage in which the store restarted empty

    await locks.putBack('k', token(3));

    expect(await store.get('k')).toMatchObject({ version: 3 });
    expect(log.infos).toEqual([[{ key: 'k', version: 3 }, 'axios-token-flight: put back a token the store did not have']]);
    await jest.advanceTimersByTimeAsync(999);
    expect(await lockIsFree(store)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await lockIsFree(store)).toBe(true);
  });

  it('gives the lock back at the first poll that sees a newer version', async () => {
    const store = new MemoryTokenStore();
    const { locks, cache } = lockLoop(store, { lockTtlMs: 5_000, refreshTimeoutMs: 1_000 });
    cache.accept('k', token(3));
    await locks.putBack('k', token(3));
    expect(await lockIsFree(store)).toBe(false);

    await jest.advanceTimersByTimeAsync(100);
    await store.restore('k', token(4)); // the refresher whose lock vanished writes back its answer
    await jest.advanceTimersByTimeAsync(50); // polls at 10, 30, 70, 150 ms

    expect(await lockIsFree(store)).toBe(true);
  });

  it('nothing lost (the store is as new): no write, no log, the lock given back at once', async () => {
    const store = new MemoryTokenStore();
    await store.restore('k', token(3));
    const { locks, cache, log } = lockLoop(store, { lockTtlMs: 5_000, refreshTimeoutMs: 1_000 });
    cache.accept('k', token(3));

    await locks.putBack('k', token(3));

    expect(log.infos).toEqual([]);
    expect(await lockIsFree(store)).toBe(true);
  });

  describe('while another process holds the lock', () => {
    it.each([
      ['has the same version', 3, true, new MemoryTokenStore(), 3],
      ['has a newer version', 4, true, new MemoryTokenStore(), 4],
      ['has an older one, and restore writes ours', 3, true, new MemoryTokenStore(), 2],
      ['has an older one and no restore', 2, false, new ForgetfulStore(), 2],
    ])('the store %s: afterwards it holds v%i, healthy: %s', async (_case, expectedVersion, healthy, store, storedVersion) => {
      await store.acquireLock('k', 'seed', 1_000);
      await store.compareAndSet('k', token(storedVersion), 0, 'seed');
      await store.releaseLock('k', 'seed');
      await store.acquireLock('k', 'refresher', 5_000);
      const { locks, guard } = lockLoop(store, { lockTtlMs: 5_000, refreshTimeoutMs: 1_000 });

      await locks.putBack('k', token(3));

      expect(await store.get('k')).toMatchObject({ version: expectedVersion });
      // Written back later (the write-back probe runs, copies are kept) only when ours is still missing.
      expect(guard.healthy).toBe(healthy);
      guard.close();
    });
  });
});
