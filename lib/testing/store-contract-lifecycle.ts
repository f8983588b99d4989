/**
 * The contract's cases for a credential's lifecycle: deletion (tombstones) and the ranking of
 * grants (`generation`), for stores that offer `delete` / `restore`. See store-contract.ts.
 */
import assert from 'node:assert/strict';
import type { TokenStore } from '../stores/token-store';
import type { TokenSet } from '../types';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function token(version: number, generation: number, accessToken = `access-g${generation}-v${version}`): TokenSet {
  return {
    accessToken,
    refreshToken: `refresh-${accessToken}`,
    expiresAt: Date.now() + 60_000,
    version,
    issuedAt: Date.now(),
    extra: {},
    generation,
  };
}

type Body = (store: TokenStore, key: string) => Promise<void>;

export const LIFECYCLE_CASES: ReadonlyArray<readonly [string, Body]> = [
  [
    'delete leaves no token but a tombstone, which fences every write of a grant seeded before it (when it offers delete)',
    async (store, key) => {
      if (store.delete === undefined || store.getTombstone === undefined) return;
      await store.acquireLock(key, 'owner-a', 5_000);
      assert.equal(await store.compareAndSet(key, token(3, 1_000), 0, 'owner-a'), true);
      await store.delete(key, { version: 4, deletedAt: 2_000 });
      assert.equal(await store.get(key), null);
      assert.deepEqual(await store.getTombstone(key), { version: 4, deletedAt: 2_000 });
      // A refresh of the old grant finishing late, or a copy put back: refused.
      assert.equal(await store.compareAndSet(key, token(4, 1_000), 0, 'owner-a'), false);
      assert.equal(await store.compareAndSet(key, token(9, 2_000), 0, 'owner-a'), false);
      if (store.restore !== undefined) assert.equal(await store.restore(key, token(7, 1_000)), false);
      assert.equal(await store.get(key), null);
      // A grant seeded after the deletion is written, and the tombstone has done its work.
      assert.equal(await store.compareAndSet(key, token(5, 3_000), 0, 'owner-a'), true);
      assert.equal((await store.get(key))?.generation, 3_000);
      assert.equal(await store.getTombstone(key), null);
    },
  ],
  [
    'restore ranks grants before versions: a newer grant is never overwritten by an older one, whatever its version (when it offers restore)',
    async (store, key) => {
      if (store.restore === undefined) return;
      assert.equal(await store.restore(key, token(1, 5_000, 'reseeded')), true);
      assert.equal(await store.restore(key, token(9, 1_000, 'old-grant-copy')), false);
      assert.equal((await store.get(key))?.accessToken, 'reseeded');
      assert.equal(await store.restore(key, token(2, 5_000, 'same-grant-newer')), true);
      assert.equal(await store.restore(key, token(1, 6_000, 'newer-grant')), true);
      assert.equal((await store.get(key))?.accessToken, 'newer-grant');
    },
  ],
  [
    "announces a deletion to subscribers as a 'deleted' notice (when it offers delete and subscribe)",
    async (store, key) => {
      if (store.delete === undefined || store.subscribe === undefined) return;
      const notices: Array<[string, number | undefined, string | undefined]> = [];
      const unsubscribe = store.subscribe((k, v, kind) => notices.push([k, v, kind]));
      try {
        await sleep(300);
        await store.delete(key, { version: 2, deletedAt: Date.now() });
        const deadline = Date.now() + 2_000;
        while (!notices.some(([k]) => k === key) && Date.now() < deadline) await sleep(10);
        assert.deepEqual(
          notices.filter(([k]) => k === key),
          [[key, 2, 'deleted']],
        );
      } finally {
        unsubscribe();
      }
    },
  ],
];
