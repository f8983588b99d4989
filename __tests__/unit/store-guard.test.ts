/**
 * The `onStoreError` circuit on the class itself: what each store call answers when the store
 * fails, which calls reach a store the circuit has given up on, what is announced and logged, and
 * how `restore` is emulated with the lock for a store without one. (The same behaviour through the
 * plugin is in store-outage, store-data-loss and store-write-edges.)
 */
import { MemoryTokenStore, StoreUnavailableError, type RefreshFailureRecord, type TokenSet, type TokenStore } from '../../lib';
import { createEvents, createStats, type TokenFlightEventMap } from '../../lib/events';
import { Reporter } from '../../lib/reporting/reporter';
import { KnownSecrets } from '../../lib/secrets/known-secrets';
import { StoreGuard, UNREADABLE } from '../../lib/refresh/store-guard';
import { recordingLogger, storedToken as token } from '../helpers/setup';

const DOWN = new Error('connect ECONNREFUSED 127.0.0.1:6379');

/** A memory store that can stop answering, counts the calls that reach it, and has `restore` only when asked. */
class ScriptedStore implements TokenStore {
  readonly inner = new MemoryTokenStore();
  down = false;
  readonly calls: string[] = [];
  failure: RefreshFailureRecord | null = null;
  restore?: (key: string, token: TokenSet) => Promise<boolean>;

  constructor(withRestore = false) {
    if (withRestore) this.restore = (key, next) => this.#answer('restore', () => this.inner.restore(key, next));
  }
  get(key: string) {
    return this.#answer('get', () => this.inner.get(key));
  }
  compareAndSet(key: string, next: TokenSet, expected: number, owner: string) {
    return this.#answer('compareAndSet', () => this.inner.compareAndSet(key, next, expected, owner));
  }
  acquireLock(key: string, owner: string, ttlMs: number) {
    return this.#answer('acquireLock', () => this.inner.acquireLock(key, owner, ttlMs));
  }
  releaseLock(key: string, owner: string) {
    return this.#answer('releaseLock', () => this.inner.releaseLock(key, owner));
  }
  getRefreshFailure() {
    return this.#answer('getRefreshFailure', async () => this.failure);
  }
  async setRefreshFailure(_key: string, record: RefreshFailureRecord | null) {
    await this.#answer('setRefreshFailure', async () => void (this.failure = record));
  }
  #answer<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.calls.push(name);
    return this.down ? Promise.reject(DOWN) : call();
  }
}

interface Setup {
  store: ScriptedStore;
  guard: StoreGuard;
  degraded: Array<TokenFlightEventMap['store-degraded']>;
  recovered: Array<TokenFlightEventMap['store-recovered']>;
  writeBacks: { count: number };
  log: ReturnType<typeof recordingLogger>;
}

const guards: StoreGuard[] = [];
function setup(policy: 'local' | 'fail', store = new ScriptedStore()): Setup {
  const events = createEvents();
  const degraded: Setup['degraded'] = [];
  const recovered: Setup['recovered'] = [];
  events.on('store-degraded', (payload) => degraded.push(payload));
  events.on('store-recovered', (payload) => recovered.push(payload));
  const writeBacks = { count: 0 };
  const log = recordingLogger();
  const guard = new StoreGuard(
    store,
    policy,
    new Reporter(events, createStats(), log.logger),
    new KnownSecrets(),
    () => writeBacks.count++,
  );
  guards.push(guard);
  return { store, guard, degraded, recovered, writeBacks, log };
}

afterEach(() => {
  for (const guard of guards.splice(0)) guard.close();
  jest.useRealTimers();
});

const fakeClock = (): void => void jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });

describe("'fail': every store error becomes a StoreUnavailableError naming the operation", () => {
  it.each([
    ['get', (guard: StoreGuard) => guard.read('k')],
    ['compareAndSet', (guard: StoreGuard) => guard.compareAndSet('k', token(1), 0, 'me')],
    ['restore', (guard: StoreGuard) => guard.restore('k', token(1))],
    ['acquireLock', (guard: StoreGuard) => guard.acquireLock('k', 'me', 1_000)],
    ['releaseLock', (guard: StoreGuard) => guard.releaseLock('k', 'me')],
  ])('%s', async (operation, call) => {
    const { store, guard, degraded } = setup('fail', new ScriptedStore(true));
    store.down = true;

    const failure = await call(guard).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).message).toBe(`axios-token-flight: token store failed during ${operation}`);
    expect((failure as StoreUnavailableError).cause).toBe(DOWN);
    expect(degraded).toEqual([]);
    expect(guard.healthy).toBe(true);
  });
});

describe("'local': a failed call is answered in-process", () => {
  it.each([
    ['get', UNREADABLE, (guard: StoreGuard) => guard.read('k')],
    ['compareAndSet', true, (guard: StoreGuard) => guard.compareAndSet('k', token(1), 0, 'me')],
    ['restore', false, (guard: StoreGuard) => guard.restore('k', token(1))],
    ['acquireLock', true, (guard: StoreGuard) => guard.acquireLock('k', 'me', 1_000)],
    ['releaseLock', true, (guard: StoreGuard) => guard.releaseLock('k', 'me')],
  ])('%s answers %s and announces the outage once, naming the operation', async (operation, answer, call) => {
    const { store, guard, degraded, log } = setup('local', new ScriptedStore(true));
    store.down = true;

    expect(await call(guard)).toBe(answer);
    expect(await call(guard)).toBe(answer);

    expect(degraded).toEqual([{ operation, errorName: 'Error', errorMessage: DOWN.message }]);
    expect(log.warnings).toEqual([
      [{ operation, errorName: 'Error' }, 'axios-token-flight: token store unavailable, continuing with in-process tokens'],
    ]);
    expect(guard.healthy).toBe(false);
  });

  it('once degraded, calls are answered at once without reaching the store, failure records included', async () => {
    const { store, guard } = setup('local');
    store.down = true;
    await guard.read('k');
    // The store is back, but nothing has asked it yet: the circuit stays open until the probe does.
    store.down = false;
    store.failure = { kind: 'reauthorize', version: 1, attempts: 1, until: Date.now() + 60_000, rememberUntil: Date.now() + 60_000 };
    store.calls.length = 0;

    expect(await guard.read('k')).toBe(UNREADABLE);
    expect(await guard.acquireLock('k', 'me', 1_000)).toBe(true);
    expect(await guard.getRefreshFailure('k')).toBeNull();
    await guard.setRefreshFailure('k', null);

    expect(store.calls).toEqual([]);
    expect(store.failure).not.toBeNull();
  });

  it('a restore that could not be written is written back later: the handle is not healthy until then', async () => {
    const { store, guard } = setup('local', new ScriptedStore(true));
    expect(guard.healthy).toBe(true);
    store.down = true;

    expect(await guard.restore('k', token(2))).toBe(false);

    expect(guard.healthy).toBe(false);
  });
});

describe('the recovery probe', () => {
  it('asks the store every second while degraded, announces the outage once, and the recovery with how long it lasted', async () => {
    fakeClock();
    const { store, guard, degraded, recovered, writeBacks, log } = setup('local');
    store.down = true;
    await guard.read('k');
    store.calls.length = 0;

    await jest.advanceTimersByTimeAsync(3_000);
    expect(store.calls).toEqual(['get', 'get', 'get']);
    expect(degraded).toHaveLength(1);
    expect(log.warnings).toHaveLength(1);

    store.down = false;
    await jest.advanceTimersByTimeAsync(1_000);

    expect(recovered).toEqual([{ degradedForMs: 4_000 }]);
    expect(log.infos).toEqual([[{ degradedForMs: 4_000 }, 'axios-token-flight: token store recovered']]);
    expect(writeBacks.count).toBe(1);
    expect(guard.healthy).toBe(true);
  });

  it('stops asking once the store answered, however many write-backs were pending', async () => {
    fakeClock();
    const { store, guard, writeBacks } = setup('local');
    await guard.read('k');
    store.calls.length = 0;
    guard.writeBackLater();
    guard.writeBackLater();
    expect(guard.healthy).toBe(false);

    await jest.advanceTimersByTimeAsync(200);
    expect(store.calls).toEqual(['get']);
    expect(writeBacks.count).toBe(1);
    expect(guard.healthy).toBe(true);

    await jest.advanceTimersByTimeAsync(5_000);
    expect(store.calls).toEqual(['get']);
  });

  it('a write-back pending while degraded keeps the one-second probe, and is done when the store answers', async () => {
    fakeClock();
    const { store, guard, writeBacks } = setup('local');
    store.down = true;
    await guard.read('k');
    guard.writeBackLater();
    store.calls.length = 0;

    await jest.advanceTimersByTimeAsync(2_000);
    expect(store.calls).toEqual(['get', 'get']);

    store.down = false;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(writeBacks.count).toBe(1);
    expect(guard.healthy).toBe(true);
  });
});

describe('restore, emulated with the lock for a store without one', () => {
  it('writes into an empty store, taking the lock for the write and releasing it after', async () => {
    const { store, guard } = setup('fail');

    expect(await guard.restore('k', token(1))).toBe(true);

    expect((await store.inner.get('k'))?.version).toBe(1);
    expect(await store.inner.acquireLock('k', 'someone-else', 1_000)).toBe(true);
  });

  it.each([
    ['the same version', 3],
    ['a newer version', 4],
  ])('does not write over %s, and still releases the lock', async (_case, storedVersion) => {
    const { store, guard } = setup('fail');
    await store.inner.acquireLock('k', 'seed', 1_000);
    await store.inner.compareAndSet('k', { ...token(storedVersion), accessToken: 'stored' }, 0, 'seed');
    await store.inner.releaseLock('k', 'seed');

    expect(await guard.restore('k', token(3))).toBe(false);

    expect(await store.inner.get('k')).toMatchObject({ version: storedVersion, accessToken: 'stored' });
    expect(await store.inner.acquireLock('k', 'someone-else', 1_000)).toBe(true);
  });

  it('writes over an older version', async () => {
    const { store, guard } = setup('fail');
    await store.inner.acquireLock('k', 'seed', 1_000);
    await store.inner.compareAndSet('k', token(2), 0, 'seed');
    await store.inner.releaseLock('k', 'seed');

    expect(await guard.restore('k', token(3))).toBe(true);
    expect((await store.inner.get('k'))?.version).toBe(3);
  });

  it('gives up while another process holds the lock, writing nothing', async () => {
    const { store, guard } = setup('fail');
    await store.inner.acquireLock('k', 'refresher', 1_000);

    expect(await guard.restore('k', token(1))).toBe(false);

    expect(await store.inner.get('k')).toBeNull();
    expect(await store.inner.releaseLock('k', 'refresher')).toBe(true);
  });

  it("under the caller's own lock, writes with it and leaves it held", async () => {
    const { store, guard } = setup('fail');
    await store.inner.acquireLock('k', 'caller', 1_000);

    expect(await guard.restore('k', token(1), 'caller')).toBe(true);

    expect((await store.inner.get('k'))?.version).toBe(1);
    expect(await store.inner.releaseLock('k', 'caller')).toBe(true);
  });
});
