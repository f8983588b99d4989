/**
 * The rare outcomes of writing to the store and of reading the durable copy, each forced with a
 * store or a `persist` that misbehaves exactly once: a fenced write refused, a refreshed token
 * whose write and put-back are both refused, a durable copy that is unusable, unreachable, or
 * carries its own version and issue time.
 */
import {
  attachTokenRefresh,
  MemoryTokenStore,
  RefreshFailedError,
  StoreUnavailableError,
  type TokenPersistence,
  type TokenRefreshHandle,
  type TokenRefreshOptions,
  type TokenSet,
  type TokenStore,
} from '../../lib';
import axios from 'axios';

const handles: TokenRefreshHandle[] = [];
afterEach(() => {
  for (const handle of handles.splice(0)) handle.detach();
});

function attach(options: Partial<TokenRefreshOptions>): TokenRefreshHandle {
  const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
    refresh: async () => ({ accessToken: `at_refreshed-${Date.now()}`, refreshToken: 'rt_next', expiresIn: 3600 }),
    ...options,
  });
  handles.push(handle);
  return handle;
}

/** `shared` seen through a store whose next `refusals` compare-and-sets are refused (as if the lock had lapsed). */
function refusingWrites(shared: MemoryTokenStore, state: { refusals: number }, withRestore = true): TokenStore {
  return {
    get: (key) => shared.get(key),
    compareAndSet: async (key, next, expected, owner) => {
      if (state.refusals > 0) {
        state.refusals -= 1;
        return false;
      }
      return shared.compareAndSet(key, next, expected, owner);
    },
    ...(withRestore ? { restore: (key: string, token: TokenSet) => shared.restore(key, token) } : {}),
    acquireLock: (key, owner, ttlMs) => shared.acquireLock(key, owner, ttlMs),
    releaseLock: (key, owner) => shared.releaseLock(key, owner),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a fenced write the store refuses', () => {
  it('setToken rejects with RefreshFailedError that says why and what to check; nothing is written or cached', async () => {
    const shared = new MemoryTokenStore();
    const handle = attach({ store: refusingWrites(shared, { refusals: 1 }) });

    const error = await handle.setToken({ accessToken: 'at_seed-token', refreshToken: 'rt_seed' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toBe(
      'axios-token-flight: the refresh lock for "default" expired or the token changed before the new token could be written (is lockTtlMs long enough?)',
    );
    expect(await shared.get('default')).toBeNull();
    expect(handle.stats().cachedTokens).toBe(0);
  });
});

describe('a refreshed token whose write and put-back are both refused', () => {
  // 2: the refresh's write and its put-back (emulated under the refresh's own lock) are refused;
  // 3: the first write-back attempt is refused too, and must be tried again.
  it.each([2, 3])('is used, kept in-process, and written back once the store takes writes again (%i refusals)', async (refusals) => {
    const shared = new MemoryTokenStore();
    const state = { refusals: 0 };
    // No restore of its own: the put-back is emulated under the lock, and refused too.
    // A put-back that was refused keeps the lock for the grace (refreshTimeoutMs): nobody refreshes
    // from the older copy meanwhile; the write-back lands after it.
    let refreshes = 0;
    const refresh = async () => ({ accessToken: `at_refreshed-${(refreshes += 1)}`, refreshToken: 'rt_next', expiresIn: 3600 });
    const handle = attach({ store: refusingWrites(shared, state, false), refreshTimeoutMs: 1_000, refresh });
    await handle.setToken({ accessToken: 'at_seed-token', refreshToken: 'rt_seed', expiresIn: 3600 });
    await handle.invalidate();
    state.refusals = refusals;

    const token = await handle.getToken();

    expect(token.version).toBe(3);
    expect(refreshes).toBe(1); // the store's older version is not taken instead, which would need a second refresh
    expect(token.accessToken).toMatch(/^at_refreshed-/);
    for (const deadline = Date.now() + 5_000; (await shared.get('default'))?.version !== 3 && Date.now() < deadline; ) await sleep(50);
    expect(await shared.get('default')).toMatchObject({ version: 3, accessToken: token.accessToken });
  });
});

describe('a refreshed token whose write comes after its lock lapsed', () => {
  it('gives way to the version another process wrote meanwhile: the fleet keeps one token per version', async () => {
    const shared = new MemoryTokenStore();
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    let paused = false;
    // Process A's write of its refreshed token waits (a long GC pause) until the test resumes it.
    const pausingWrites: TokenStore = {
      ...refusingWrites(shared, { refusals: 0 }, false),
      compareAndSet: async (key, next, expected, owner) => {
        if (next.accessToken.startsWith('at_refreshed')) {
          paused = true;
          await resumed;
        }
        return shared.compareAndSet(key, next, expected, owner);
      },
    };
    const a = attach({ store: pausingWrites, lockTtlMs: 300, refreshTimeoutMs: 250 });
    const b = attach({ store: shared, lockTtlMs: 300, refreshTimeoutMs: 250 });
    await a.setToken({ accessToken: 'at_seed-token', refreshToken: 'rt_seed', expiresIn: 3600 });
    await a.invalidate(); // version 2, expired

    const fromA = a.getToken(); // refreshes to version 3, then pauses before writing it
    while (!paused) await sleep(5);
    await sleep(350); // A's lock has lapsed
    const fromB = await b.setToken({ accessToken: 'at_from-b', refreshToken: 'rt_b', expiresIn: 3600 }); // version 3 too
    resume();

    expect(fromB.version).toBe(3);
    expect(await fromA).toMatchObject({ version: 3, accessToken: 'at_from-b' });
    expect(await shared.get('default')).toMatchObject({ version: 3, accessToken: 'at_from-b' });
  });
});

describe('the durable copy', () => {
  function table(rows: Map<string, unknown>, hooks: { failLoads?: boolean } = {}): TokenPersistence & { loads: number } {
    return {
      loads: 0,
      async load(key) {
        this.loads += 1;
        if (hooks.failLoads === true) throw new Error('database unreachable');
        return (rows.get(key) ?? null) as TokenSet | null;
      },
      async save(key, token) {
        rows.set(key, token);
      },
    };
  }

  it('an unusable row is a retryable StoreUnavailableError naming the key and the problem', async () => {
    const handle = attach({ persist: table(new Map([['default', { accessToken: '' }]])) });

    const error = await handle.getToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/^axios-token-flight: persist\.load returned an unusable token for "default": /);
  });

  it('a row with its own version and issue time keeps them; an issue time in the future becomes now', async () => {
    const issuedAt = Date.now() - 60_000;
    const rows = new Map<string, unknown>([
      ['kept', { accessToken: 'at_kept', refreshToken: 'rt', version: 7, issuedAt, expiresAt: Date.now() + 3_600_000 }],
      [
        'future',
        { accessToken: 'at_future', refreshToken: 'rt', version: 2, issuedAt: Date.now() + 3_600_000, expiresAt: Date.now() + 7_200_000 },
      ],
      ['plain', { accessToken: 'at_plain', refreshToken: 'rt', expiresIn: 3600, version: 0 }],
    ]);
    const handle = attach({ persist: table(rows) });

    const before = Date.now();
    const [kept, future, plain] = [await handle.getToken('kept'), await handle.getToken('future'), await handle.getToken('plain')];

    expect(kept).toMatchObject({ version: 7, issuedAt });
    expect(future.version).toBe(2);
    expect(future.issuedAt).toBeGreaterThanOrEqual(before);
    expect(future.issuedAt).toBeLessThanOrEqual(Date.now());
    expect(plain.version).toBe(1); // version 0 is not a version
  });

  it('an unreachable database does not stop a refresh while the store has the token', async () => {
    const rows = new Map<string, unknown>();
    const hooks = { failLoads: false };
    const persist = table(rows, hooks);
    const refreshed: number[] = [];
    const handle = attach({ persist });
    handle.events.on('refreshed', (event) => refreshed.push(event.fromVersion ?? 0));
    await handle.setToken({ accessToken: 'at_seed-token', refreshToken: 'rt_seed', expiresIn: 3600 });
    await handle.invalidate();
    hooks.failLoads = true;
    const loadsBefore = persist.loads;

    const token = await handle.getToken();

    expect(persist.loads).toBeGreaterThan(loadsBefore); // it was asked, and failed
    expect(token.version).toBe(3);
    expect(refreshed).toEqual([2]);
  });

  it('an unreachable database with nothing in the store is a StoreUnavailableError, not a re-authorisation', async () => {
    const handle = attach({ persist: table(new Map(), { failLoads: true }) });
    const error = await handle.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('axios-token-flight: persist.load failed for "default"');
  });
});
