/**
 * The heart of rotation safety, pinned deterministically: a process that gets the lock after
 * another process has already refreshed and released it must re-read the store and use the new
 * token — never present the refresh token the other process just spent (a rotating provider would
 * revoke the whole grant). The store is made to hand out the lock to process B exactly then.
 */
import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, oauth2, type TokenRefreshHandle, type TokenStore } from '../../lib';
import { startFakeProvider, type FakeProvider } from '../../lib/testing';

let provider: FakeProvider;
const handles: TokenRefreshHandle[] = [];
beforeEach(async () => {
  provider = await startFakeProvider({ rotateRefreshTokens: true });
});
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.detach();
  await provider.close();
});

/** Another process's view of `shared`, with hooks around the lock calls. */
function viewOf(shared: MemoryTokenStore, hooks: { beforeAcquire?: () => Promise<void>; afterRelease?: () => void }): TokenStore {
  return {
    get: (key) => shared.get(key),
    compareAndSet: (key, next, expected, owner) => shared.compareAndSet(key, next, expected, owner),
    restore: (key, token) => shared.restore(key, token),
    acquireLock: async (key, owner, ttlMs) => {
      await hooks.beforeAcquire?.();
      return shared.acquireLock(key, owner, ttlMs);
    },
    releaseLock: async (key, owner) => {
      const released = await shared.releaseLock(key, owner);
      hooks.afterRelease?.();
      return released;
    },
    // No change notices: B must find the new token by reading, not by being told.
  };
}

it('a process that takes the lock after another refreshed re-reads and uses the new token: 1 refresh, no reuse', async () => {
  const shared = new MemoryTokenStore();
  const grant = oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' });
  let bAtLock!: () => void;
  const bReachedLock = new Promise<void>((resolve) => (bAtLock = resolve));
  let aReleased!: () => void;
  const aDone = new Promise<void>((resolve) => (aReleased = resolve));

  let aRefreshed = false;
  const apiA = axios.create({ baseURL: provider.url });
  const a = attachTokenRefresh(apiA, {
    // The release that follows A's refresh (not the one after seeding) opens the lock to B.
    store: viewOf(shared, { afterRelease: () => aRefreshed && aReleased() }),
    // A's refresh goes to the provider only once B has read the old token and is asking for the lock.
    refresh: async (ctx) => {
      await bReachedLock;
      const token = await grant(ctx);
      aRefreshed = true;
      return token;
    },
  });
  const apiB = axios.create({ baseURL: provider.url });
  let bAttempts = 0;
  const b = attachTokenRefresh(apiB, {
    store: viewOf(shared, {
      beforeAcquire: async () => {
        bAttempts += 1;
        if (bAttempts > 1) return;
        bAtLock();
        await aDone; // B gets the lock only after A has written its new token and released
      },
    }),
    refresh: grant,
  });
  handles.push(a, b);
  await a.setToken(provider.authorize());
  provider.revokeAccessTokens(); // both processes' next request is rejected

  const fromA = apiA.get('/me');
  await new Promise((resolve) => setTimeout(resolve, 20)); // A holds the lock
  const fromB = apiB.get('/me');
  const [responseA, responseB] = await Promise.all([fromA, fromB]);

  expect([responseA.status, responseB.status]).toEqual([200, 200]);
  expect(provider.stats.refreshes).toBe(1);
  expect(provider.stats.reuseDetections).toBe(0);
  expect(b.stats().refreshes).toBe(0);
  expect(bAttempts).toBe(1); // B took the lock once, after A had released it: the re-read is what saved it
  expect(responseB.config.headers['Authorization']).toBe(`Bearer ${(await shared.get('default'))?.accessToken}`);
});
