/**
 * Coordinator paths that only a particular order of events reaches: a request that joins a refresh
 * answering an older rejection than its own; a background refresh already running, or just failed;
 * which error a refresh without a refresh token ends in, by whether the store could be read;
 * `setToken` whose token expired while it waited for the lock; `invalidate` on a store that lost
 * the token.
 */
import axios from 'axios';
import {
  attachTokenRefresh,
  MemoryTokenStore,
  oauth2,
  ReauthorizationRequiredError,
  StoreUnavailableError,
  type RefreshContext,
  type TokenInput,
} from '../../lib';
import { startApi } from '../helpers/api-server';
import { ForgetfulStore } from '../helpers/forgetful-store';
import { Cleanups, recordingLogger, sleep, until } from '../helpers/setup';

const cleanups = new Cleanups();
afterEach(async () => {
  await cleanups.run();
});

/** A promise the test resolves when it chooses: holds a refresh on the wire. */
function gate(): { passed: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const passed = new Promise<void>((resolve) => (open = resolve));
  return { passed, open: () => open() };
}

/** A refresh that waits for the gate, then answers `accessToken`; counts its calls. */
function gatedRefresh(accessToken: string) {
  const held = gate();
  const counter = { calls: 0 };
  const refresh = async (): Promise<TokenInput> => {
    counter.calls += 1;
    await held.passed;
    return { accessToken, expiresIn: 3_600 };
  };
  return { refresh, counter, open: held.open };
}

/** A store that counts reads and lock attempts, to show which paths touch it. */
class CountingStore extends MemoryTokenStore {
  calls = 0;
  override get(key: string) {
    this.calls += 1;
    return super.get(key);
  }
  override acquireLock(key: string, owner: string, ttlMs: number) {
    this.calls += 1;
    return super.acquireLock(key, owner, ttlMs);
  }
  override getOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }) {
    this.calls += 1;
    return super.getOrLock(key, lock);
  }
}

/** The same, as a custom store written before `getOrLock` existed: the plugin reads, locks and re-reads. */
class CountingStoreWithoutGetOrLock extends CountingStore {
  declare getOrLock: never;
  constructor() {
    super();
    Object.defineProperty(this, 'getOrLock', { value: undefined });
  }
}

it('a request that joined a refresh answering an older rejection refreshes again for its own, instead of replaying a token it saw rejected', async () => {
  // The API rejects the two seeded tokens and accepts refreshed ones.
  const api = await startApi((request) => (/^Bearer seeded-/.test(request.authorization ?? '') ? { status: 401 } : { body: { ok: true } }));
  const slotHeld = gate();
  const refreshedFrom: Array<[string, number | undefined]> = [];
  const refresh = async ({ key, current }: RefreshContext): Promise<TokenInput> => {
    refreshedFrom.push([key, current?.version]);
    if (key === 'other') await slotHeld.passed; // holds the only refresh slot
    return { accessToken: `refreshed-${key}-${refreshedFrom.length}`, refreshToken: 'rt', expiresIn: 3_600 };
  };
  const client = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(client, { refresh, key: 'k', maxConcurrentRefreshes: 1, maxReplays: 3 });
  cleanups.push(
    () => handle.detach(),
    () => api.close(),
  );
  await handle.setToken({ accessToken: 'seeded-1', refreshToken: 'rt', expiresIn: 3_600 });
  const other = handle.getToken('other');
  await until(() => refreshedFrom.length === 1, "the other key's refresh to take the slot");

  // A: sent with v1, rejected; its refresh (for v1) waits for the slot.
  const first = client.get('/a');
  await until(() => handle.stats().queuedRefreshes === 1, 'the refresh for v1 to queue');
  // Meanwhile v2 arrives (a user's setToken), B is sent with it and rejected too, and joins the queued refresh.
  await handle.setToken({ accessToken: 'seeded-2', refreshToken: 'rt', expiresIn: 3_600 });
  const second = client.get('/b');
  await until(() => api.requests.some((request) => request.path === '/b'), 'B to be sent');
  await sleep(50); // B's 401 is handled: it now waits on the refresh queued for v1
  slotHeld.open();

  expect((await first).status).toBe(200);
  expect((await second).status).toBe(200);
  await other;
  // The queued refresh answered v2 from the store (no refresh for it); B, rejected with v2, refreshed once from v2.
  expect(refreshedFrom).toEqual([
    ['other', undefined],
    ['k', 2],
  ]);
  const sentByB = api.requests.filter((request) => request.path === '/b').map((request) => request.authorization);
  expect(sentByB).toEqual(['Bearer seeded-2', 'Bearer refreshed-k-2']);
});

it("a rejected request whose own refresh restarts the numbering (store emptied, copy evicted) uses that refresh's token: no second refresh", async () => {
  let releaseResponse: () => void = () => undefined;
  const responseHeld = new Promise<void>((resolve) => (releaseResponse = resolve));
  const api = await startApi(async (request) => {
    if (request.path === '/held') await responseHeld;
    return /^Bearer seed-/.test(request.authorization ?? '') ? { status: 401 } : { body: { ok: true } };
  });
  const store = new ForgetfulStore();
  let refreshes = 0;
  // A client-credentials style refresh: it needs no refresh token, so it works from nothing.
  const refresh = async (): Promise<TokenInput> => ({ accessToken: `fresh-${(refreshes += 1)}`, expiresIn: 3_600 });
  const client = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(client, { refresh, store, key: 'k', maxCachedTokens: 1 });
  cleanups.push(
    () => handle.detach(),
    () => api.close(),
  );
  for (const seed of ['seed-1', 'seed-2', 'seed-3']) await handle.setToken({ accessToken: seed, expiresIn: 3_600 });

  const pending = client.get('/held'); // sent with version 3
  await until(() => api.requests.length === 1, 'the request to reach the API');
  await handle.setToken({ accessToken: 'other', expiresIn: 3_600 }, 'another-key'); // evicts k's copy (maxCachedTokens: 1)
  store.forget(); // and the store restarts empty
  releaseResponse();

  expect((await pending).status).toBe(200);
  expect(refreshes).toBe(1);
  expect(api.requests.map((request) => request.authorization)).toEqual(['Bearer seed-3', 'Bearer fresh-1']);
});

describe.each([
  // The refresh's own store calls: read and lock in one (getOrLock), or read, lock, re-read under the lock.
  ['getOrLock', () => new CountingStore(), 1],
  ['a store without getOrLock', () => new CountingStoreWithoutGetOrLock(), 3],
] as const)('with %s', (_, createStore, ownCalls) => {
  it('requests that join a running refresh make no store call of their own, and take its answer without flying again', async () => {
    const api = await startApi((request) => (request.authorization === 'Bearer seed' ? { status: 401 } : { body: { ok: true } }));
    const store = createStore();
    const { refresh, counter, open } = gatedRefresh('fresh');
    const client = axios.create({ baseURL: api.url });
    const handle = attachTokenRefresh(client, { refresh, store, key: 'k' });
    cleanups.push(
      () => handle.detach(),
      () => api.close(),
    );
    await handle.setToken({ accessToken: 'seed', expiresIn: 3_600 });
    const before = store.calls;

    const burst = Array.from({ length: 20 }, () => client.get('/burst'));
    await until(() => counter.calls === 1 && api.requests.length === 20, 'every request to be rejected once');
    await sleep(50); // every 401 handled: all wait on the one refresh
    open();

    expect((await Promise.all(burst)).every((response) => response.status === 200)).toBe(true);
    expect(counter.calls).toBe(1);
    // Nothing per joining request.
    expect(store.calls - before).toBe(ownCalls);
  });
});

it('a request joining a background refresh still queued for a slot moves it ahead of other background refreshes', async () => {
  const api = await startApi((request) => (/^Bearer due-/.test(request.authorization ?? '') ? { status: 401 } : { body: { ok: true } }));
  const slotHeld = gate();
  const order: string[] = [];
  const refresh = async ({ key }: RefreshContext): Promise<TokenInput> => {
    order.push(key);
    if (key === 'holder') await slotHeld.passed;
    return { accessToken: `fresh-${key}`, expiresIn: 3_600 };
  };
  const client = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(client, { refresh, key: 'first', maxConcurrentRefreshes: 1 });
  cleanups.push(
    () => handle.detach(),
    () => api.close(),
  );
  for (const key of ['first', 'second']) await handle.setToken({ accessToken: `due-${key}`, expiresIn: 2 }, key);
  await sleep(1_250); // both due, still valid
  const holder = handle.getToken('holder').catch((error: unknown) => error); // takes the only slot
  await until(() => order.length === 1, 'the holder to take the slot');
  await handle.getToken('first'); // background refreshes queue, in this order
  await handle.getToken('second');
  await until(() => handle.stats().queuedRefreshes === 2, 'both background refreshes to queue');

  const request = client.get('/needs-second', { tokenFlight: { key: 'second' } }); // rejected: joins second's refresh
  await until(() => api.requests.length === 1, 'the request to be rejected');
  await sleep(50);
  slotHeld.open();
  await holder;

  expect((await request).status).toBe(200);
  await until(() => order.length === 3, 'both background refreshes');
  expect(order).toEqual(['holder', 'second', 'first']);
});

describe('background refresh (token due, still valid)', () => {
  /** Lifetime 2 s: the skew is capped at half of it, less up to 20 % jitter, so due by 1.2 s; valid for 2 s. */
  const dueSoon = { accessToken: 'due', refreshToken: 'rt', expiresIn: 2 };

  it('while one runs, further requests start nothing: no store call, one refresh', async () => {
    const store = new CountingStore();
    const { refresh, counter, open } = gatedRefresh('fresh');
    const handle = attachTokenRefresh(axios.create({ baseURL: 'http://127.0.0.1:9' }), { refresh, store, key: 'k', refreshSkewMs: 1_900 });
    cleanups.push(() => handle.detach());
    await handle.setToken(dueSoon);
    await sleep(1_250); // due, still valid

    expect((await handle.getToken()).accessToken).toBe('due'); // starts the background refresh
    await until(() => counter.calls === 1, 'the background refresh to start');
    const callsWhileRefreshing = store.calls;
    for (let i = 0; i < 20; i++) expect((await handle.getToken()).accessToken).toBe('due');

    expect(store.calls).toBe(callsWhileRefreshing);
    open();
    await until(() => handle.stats().refreshes === 1, 'the background refresh to finish');
    expect((await handle.getToken()).accessToken).toBe('fresh');
    expect(counter.calls).toBe(1);
  });

  it('one that failed is not tried again for a second, even with no refresh backoff: the valid token keeps being sent', async () => {
    let refreshes = 0;
    const refresh = async (): Promise<TokenInput> => {
      refreshes += 1;
      throw new Error('token endpoint unreachable');
    };
    const handle = attachTokenRefresh(axios.create({ baseURL: 'http://127.0.0.1:9' }), {
      refresh,
      key: 'k',
      refreshSkewMs: 1_900,
      refreshBackoffMs: { initial: 0, max: 0 },
    });
    cleanups.push(() => handle.detach());
    await handle.setToken(dueSoon);
    await sleep(1_250);

    await handle.getToken();
    await until(() => handle.stats().refreshFailures === 1, 'the background refresh to fail');
    for (let i = 0; i < 20; i++) {
      expect((await handle.getToken()).accessToken).toBe('due');
      await sleep(10);
    }

    expect(refreshes).toBe(1);
  });
});

describe('a refresh with no refresh token to present', () => {
  const needsRefreshToken = (provider: string) => oauth2.refreshTokenGrant({ tokenUrl: `${provider}/token`, clientId: 'c' });

  it('the store answered "nothing": ReauthorizationRequiredError (someone must authorise)', async () => {
    const handle = attachTokenRefresh(axios.create({ baseURL: 'http://127.0.0.1:9' }), {
      refresh: needsRefreshToken('http://127.0.0.1:9'),
      key: 'k',
    });
    cleanups.push(() => handle.detach());

    await expect(handle.getToken()).rejects.toBeInstanceOf(ReauthorizationRequiredError);
  });

  it('the store could not be read and this process holds no copy: a retryable StoreUnavailableError, not "re-authorise"', async () => {
    const store = new ForgetfulStore();
    store.down = true;
    const handle = attachTokenRefresh(axios.create({ baseURL: 'http://127.0.0.1:9' }), {
      refresh: needsRefreshToken('http://127.0.0.1:9'),
      store,
      key: 'k',
    });
    cleanups.push(() => handle.detach());

    const error = await handle.getToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).retryable).toBe(true);
    expect((error as Error).message).toBe(
      'axios-token-flight: the token store could not be read and this process holds no copy of "k"; try again when the store answers',
    );
    expect((error as Error).cause).toBeInstanceOf(ReauthorizationRequiredError);
  });

  it('the store could not be read, but this process holds a copy the provider refused: ReauthorizationRequiredError', async () => {
    const store = new ForgetfulStore();
    let calls = 0;
    const refresh = async ({ key }: RefreshContext): Promise<TokenInput> => {
      calls += 1;
      // First refresh: the provider keeps the refresh token (no rotation), so a degraded refresh is allowed.
      if (calls === 1) return { accessToken: 'short-lived', refreshToken: 'rt', expiresIn: 1 };
      throw new ReauthorizationRequiredError('invalid_grant: the grant was revoked', { key });
    };
    const handle = attachTokenRefresh(axios.create({ baseURL: 'http://127.0.0.1:9' }), { refresh, store, key: 'k' });
    cleanups.push(() => handle.detach());
    await handle.setToken({ accessToken: 'seed', refreshToken: 'rt' });
    await handle.invalidate();
    expect((await handle.getToken()).accessToken).toBe('short-lived');
    await sleep(1_050); // expired
    store.down = true;

    await expect(handle.getToken()).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(calls).toBe(2);
  });
});

it('setToken whose token expired while it waited for the lock fails with a TypeError, writing nothing', async () => {
  const store = new MemoryTokenStore();
  const handle = attachTokenRefresh(axios.create({ baseURL: 'http://127.0.0.1:9' }), {
    refresh: async () => ({ accessToken: 'unused' }),
    store,
    key: 'k',
    lockTtlMs: 1_000,
    refreshTimeoutMs: 500,
  });
  cleanups.push(() => handle.detach());
  await store.acquireLock('k', 'another-process', 300);

  const error = await handle.setToken({ accessToken: 'short', expiresAt: Date.now() + 100 }).catch((e: unknown) => e);

  expect(error).toBeInstanceOf(TypeError);
  expect((error as Error).message).toMatch(/^axios-token-flight: setToken: expiresAt must be a future epoch-milliseconds number/);
  expect(await store.get('k')).toBeNull();
});

it('invalidate on a store that lost the token marks this copy expired at once: nothing put back first, no grace waited', async () => {
  const store = new ForgetfulStore();
  const { logger, warnings } = recordingLogger();
  const handle = attachTokenRefresh(axios.create({ baseURL: 'http://127.0.0.1:9' }), {
    refresh: async () => ({ accessToken: 'refreshed' }),
    store,
    key: 'k',
    logger,
    refreshTimeoutMs: 2_000,
  });
  cleanups.push(() => handle.detach());
  await handle.setToken({ accessToken: 'seed', refreshToken: 'rt' });
  store.forget();

  await handle.invalidate();

  expect(store.written).toEqual([1, 2]); // the seed, then the expired marker: no put-back of version 1
  expect(warnings).toEqual([]);
});
