import type { TokenSet, TokenStore } from '../../lib';

function token(version: number, accessToken = `access-v${version}`): TokenSet {
  return { accessToken, refreshToken: `refresh-v${version}`, expiresAt: Date.now() + 60_000, version, issuedAt: Date.now() };
}

/**
 * The guarantees the plugin relies on (docs/stores.md), as a suite any TokenStore can run:
 * `describeTokenStoreContract('MyStore', async () => ({ store, close }))`.
 */
export function describeTokenStoreContract(name: string, open: () => Promise<{ store: TokenStore; close: () => Promise<void> }>): void {
  describe(`${name} honours the TokenStore contract`, () => {
    let store: TokenStore;
    let close: () => Promise<void>;
    let n = 0;
    let key: string;
    beforeEach(async () => {
      ({ store, close } = await open());
      key = `contract-${Date.now()}-${(n += 1)}`;
    });
    afterEach(() => close());

    it('returns null for an unknown key and round-trips a written token set exactly', async () => {
      expect(await store.get(key)).toBeNull();
      expect(await store.acquireLock(key, 'owner-a', 5_000)).toBe(true);
      const first = token(1);
      expect(await store.compareAndSet(key, first, 0, 'owner-a')).toBe(true);
      expect(await store.get(key)).toEqual(first);
    });

    it('lets only one owner hold the lock, and only the owner release it', async () => {
      expect(await store.acquireLock(key, 'owner-a', 5_000)).toBe(true);
      expect(await store.acquireLock(key, 'owner-b', 5_000)).toBe(false);
      expect(await store.releaseLock(key, 'owner-b')).toBe(false);
      expect(await store.acquireLock(key, 'owner-b', 5_000)).toBe(false);
      expect(await store.releaseLock(key, 'owner-a')).toBe(true);
      expect(await store.acquireLock(key, 'owner-b', 5_000)).toBe(true);
    });

    it('treats an expired lock as free', async () => {
      expect(await store.acquireLock(key, 'owner-a', 50)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await store.acquireLock(key, 'owner-b', 5_000)).toBe(true);
    });

    it('refuses a write whose expected version is stale, and changes nothing', async () => {
      await store.acquireLock(key, 'owner-a', 5_000);
      await store.compareAndSet(key, token(1), 0, 'owner-a');
      await store.compareAndSet(key, token(2), 1, 'owner-a');
      expect(await store.compareAndSet(key, token(2, 'late-writer'), 1, 'owner-a')).toBe(false);
      expect(await store.compareAndSet(key, token(1, 'rewrite'), 0, 'owner-a')).toBe(false);
      expect((await store.get(key))?.accessToken).toBe('access-v2');
    });

    it('fences a writer whose lock expired and was taken by another owner', async () => {
      await store.acquireLock(key, 'slow-holder', 50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await store.acquireLock(key, 'new-holder', 5_000)).toBe(true);
      expect(await store.compareAndSet(key, token(1, 'new-holder-token'), 0, 'new-holder')).toBe(true);
      // The slow holder finishes its refresh and tries to write: refused, the newer token stays.
      expect(await store.compareAndSet(key, token(1, 'slow-holder-token'), 0, 'slow-holder')).toBe(false);
      expect((await store.get(key))?.accessToken).toBe('new-holder-token');
    });

    it('refuses a write without the lock, even with the right version', async () => {
      expect(await store.compareAndSet(key, token(1), 0, 'nobody')).toBe(false);
      expect(await store.get(key)).toBeNull();
    });

    it('restore writes without the lock only into an empty store or over an older version (when it offers restore)', async () => {
      if (store.restore === undefined) return;
      expect(await store.restore(key, token(3, 'restored-v3'))).toBe(true);
      expect((await store.get(key))?.accessToken).toBe('restored-v3');
      expect(await store.restore(key, token(3, 'same-version'))).toBe(false);
      expect(await store.restore(key, token(2, 'older'))).toBe(false);
      expect(await store.restore(key, token(5, 'newer-v5'))).toBe(true);
      expect(await store.get(key)).toMatchObject({ version: 5, accessToken: 'newer-v5' });
      // The fence still holds after a restore: a writer expecting the old version is refused.
      await store.acquireLock(key, 'owner-a', 5_000);
      expect(await store.compareAndSet(key, token(4), 3, 'owner-a')).toBe(false);
      expect(await store.compareAndSet(key, token(6), 5, 'owner-a')).toBe(true);
    });

    it('keeps a refresh-failure record until rememberUntil, and clears it on request (when it offers them)', async () => {
      if (store.getRefreshFailure === undefined || store.setRefreshFailure === undefined) return;
      expect(await store.getRefreshFailure(key)).toBeNull();
      const record = { kind: 'backoff' as const, version: 2, attempts: 3, until: Date.now() + 50, rememberUntil: Date.now() + 150 };
      await store.setRefreshFailure(key, record);
      expect(await store.getRefreshFailure(key)).toEqual(record);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await store.getRefreshFailure(key)).toBeNull();
      await store.setRefreshFailure(key, { kind: 'reauthorize', version: 2, attempts: 1, until: Date.now() + 60_000, rememberUntil: Date.now() + 60_000 });
      await store.setRefreshFailure(key, null);
      expect(await store.getRefreshFailure(key)).toBeNull();
    });

    it('notifies subscribers of a write with its version, and stops after unsubscribe (when it offers subscribe)', async () => {
      if (store.subscribe === undefined) return;
      const notices: Array<[string, number | undefined]> = [];
      const unsubscribe = store.subscribe((k, v) => notices.push([k, v]));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.acquireLock(key, 'owner-a', 5_000);
      await store.compareAndSet(key, token(1), 0, 'owner-a');
      const deadline = Date.now() + 2_000;
      while (notices.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(notices).toContainEqual([key, 1]);
      unsubscribe();
      notices.length = 0;
      await store.compareAndSet(key, token(2), 1, 'owner-a');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(notices).toEqual([]);
    });
  });
}
