/**
 * The guarantees the plugin relies on from a `TokenStore` (docs/stores.md), as test cases any store
 * can run under any test runner: each case is a name and an async function that throws (node:assert)
 * when the store breaks the contract.
 *
 * ```ts
 * import { tokenStoreContract } from 'axios-token-flight/testing';
 * for (const { name, run } of tokenStoreContract(async () => ({ store: new PostgresTokenStore(pool) }))) {
 *   it(name, run);   // jest, vitest, mocha — or test(name, run) with node:test
 * }
 * ```
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TokenStore } from '../stores/token-store';
import type { TokenSet } from '../types';
import { LIFECYCLE_CASES } from './store-contract-lifecycle';

export interface TokenStoreContractCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/** Gives each case a store (a new client per case is fine); `close` is awaited after the case. */
export type OpenTokenStore = () => Promise<{ readonly store: TokenStore; readonly close?: (() => Promise<void> | void) | undefined }>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function token(version: number, accessToken = `access-v${version}`): TokenSet {
  return {
    accessToken,
    refreshToken: `refresh-v${version}`,
    expiresAt: Date.now() + 60_000,
    version,
    issuedAt: Date.now(),
    extra: { instance_url: 'https://acme.example.com', scope: 'read write' },
  };
}

type Body = (store: TokenStore, key: string) => Promise<void>;

const CASES: ReadonlyArray<readonly [string, Body]> = [
  [
    'returns null for an unknown key and round-trips a written token set exactly (extra included)',
    async (store, key) => {
      assert.equal(await store.get(key), null);
      assert.equal(await store.acquireLock(key, 'owner-a', 5_000), true);
      const first = token(1);
      assert.equal(await store.compareAndSet(key, first, 0, 'owner-a'), true);
      assert.deepEqual(await store.get(key), first);
    },
  ],
  [
    'lets only one owner hold the lock, and only the owner release it',
    async (store, key) => {
      assert.equal(await store.acquireLock(key, 'owner-a', 5_000), true);
      assert.equal(await store.acquireLock(key, 'owner-b', 5_000), false);
      assert.equal(await store.releaseLock(key, 'owner-b'), false);
      assert.equal(await store.acquireLock(key, 'owner-b', 5_000), false);
      assert.equal(await store.releaseLock(key, 'owner-a'), true);
      assert.equal(await store.acquireLock(key, 'owner-b', 5_000), true);
    },
  ],
  [
    'treats an expired lock as free',
    async (store, key) => {
      assert.equal(await store.acquireLock(key, 'owner-a', 50), true);
      await sleep(120);
      assert.equal(await store.acquireLock(key, 'owner-b', 5_000), true);
    },
  ],
  [
    'holds a lock only until it expires: its owner can then neither write nor release it',
    async (store, key) => {
      assert.equal(await store.acquireLock(key, 'owner-a', 50), true);
      await sleep(120);
      assert.equal(await store.compareAndSet(key, token(1), 0, 'owner-a'), false);
      assert.equal(await store.releaseLock(key, 'owner-a'), false);
      assert.equal(await store.get(key), null);
    },
  ],
  [
    'refuses a write whose expected version is stale, and changes nothing',
    async (store, key) => {
      await store.acquireLock(key, 'owner-a', 5_000);
      await store.compareAndSet(key, token(1), 0, 'owner-a');
      await store.compareAndSet(key, token(2), 1, 'owner-a');
      assert.equal(await store.compareAndSet(key, token(2, 'late-writer'), 1, 'owner-a'), false);
      assert.equal(await store.compareAndSet(key, token(1, 'rewrite'), 0, 'owner-a'), false);
      assert.equal((await store.get(key))?.accessToken, 'access-v2');
    },
  ],
  [
    'fences a writer whose lock expired and was taken by another owner',
    async (store, key) => {
      await store.acquireLock(key, 'slow-holder', 50);
      await sleep(120);
      assert.equal(await store.acquireLock(key, 'new-holder', 5_000), true);
      // The slow holder's write arrives while the new holder is still refreshing: the version is
      // still right, only the lock owner tells them apart.
      assert.equal(await store.compareAndSet(key, token(1, 'slow-holder-token'), 0, 'slow-holder'), false);
      assert.equal(await store.compareAndSet(key, token(1, 'new-holder-token'), 0, 'new-holder'), true);
      assert.equal(await store.compareAndSet(key, token(1, 'slow-holder-token'), 0, 'slow-holder'), false);
      assert.equal((await store.get(key))?.accessToken, 'new-holder-token');
    },
  ],
  [
    'refuses a write without the lock, even with the right version',
    async (store, key) => {
      assert.equal(await store.compareAndSet(key, token(1), 0, 'nobody'), false);
      assert.equal(await store.get(key), null);
    },
  ],
  [
    'restore writes without the lock only into an empty store or over an older version (when it offers restore)',
    async (store, key) => {
      if (store.restore === undefined) return;
      assert.equal(await store.restore(key, token(3, 'restored-v3')), true);
      assert.equal((await store.get(key))?.accessToken, 'restored-v3');
      assert.equal(await store.restore(key, token(3, 'same-version')), false);
      assert.equal(await store.restore(key, token(2, 'older')), false);
      assert.equal(await store.restore(key, token(5, 'newer-v5')), true);
      const restored = await store.get(key);
      assert.equal(restored?.version, 5);
      assert.equal(restored.accessToken, 'newer-v5');
      // The fence still holds after a restore: a writer expecting the old version is refused.
      await store.acquireLock(key, 'owner-a', 5_000);
      assert.equal(await store.compareAndSet(key, token(4), 3, 'owner-a'), false);
      assert.equal(await store.compareAndSet(key, token(6), 5, 'owner-a'), true);
    },
  ],
  [
    'getOrLock reads, and takes a free lock only when nothing newer than ifVersionAtMost is stored (when it offers getOrLock)',
    async (store, key) => {
      if (store.getOrLock === undefined) return;
      assert.deepEqual(await store.getOrLock(key, { owner: 'owner-a', ttlMs: 5_000, ifVersionAtMost: 0 }), { token: null, locked: true });
      // The lock it took is the real one: others are refused, its owner writes.
      assert.equal(await store.acquireLock(key, 'owner-b', 5_000), false);
      const first = token(1);
      assert.equal(await store.compareAndSet(key, first, 0, 'owner-a'), true);
      assert.deepEqual(await store.getOrLock(key, { owner: 'owner-b', ttlMs: 5_000, ifVersionAtMost: 1 }), { token: first, locked: false });
      assert.equal(await store.releaseLock(key, 'owner-a'), true);
      // Something newer than the caller would replace is stored: read only, the lock stays free.
      assert.deepEqual(await store.getOrLock(key, { owner: 'owner-b', ttlMs: 5_000, ifVersionAtMost: 0 }), { token: first, locked: false });
      assert.equal(await store.acquireLock(key, 'owner-c', 50), true);
      await sleep(120);
      assert.deepEqual(await store.getOrLock(key, { owner: 'owner-b', ttlMs: 5_000, ifVersionAtMost: 1 }), { token: first, locked: true });
      assert.equal(await store.compareAndSet(key, token(2), 1, 'owner-b'), true);
    },
  ],
  [
    'keeps a refresh-failure record until rememberUntil, and clears it on request (when it offers them)',
    async (store, key) => {
      if (store.getRefreshFailure === undefined || store.setRefreshFailure === undefined) return;
      assert.equal(await store.getRefreshFailure(key), null);
      const record = { kind: 'backoff' as const, version: 2, attempts: 3, until: Date.now() + 50, rememberUntil: Date.now() + 150 };
      await store.setRefreshFailure(key, record);
      assert.deepEqual(await store.getRefreshFailure(key), record);
      await sleep(250);
      assert.equal(await store.getRefreshFailure(key), null);
      await store.setRefreshFailure(key, {
        kind: 'reauthorize',
        version: 2,
        attempts: 1,
        until: Date.now() + 60_000,
        rememberUntil: Date.now() + 60_000,
      });
      await store.setRefreshFailure(key, null);
      assert.equal(await store.getRefreshFailure(key), null);
    },
  ],
  [
    'notifies subscribers of a write with its version (and, if it sends one, the token written), and stops after unsubscribe (when it offers subscribe)',
    async (store, key) => {
      if (store.subscribe === undefined) return;
      const notices: Array<[string, number | undefined]> = [];
      const carried: TokenSet[] = [];
      const unsubscribe = store.subscribe((k, v, _kind, written) => {
        notices.push([k, v]);
        if (k === key && written !== undefined) carried.push(written);
      });
      try {
        // A notice published before the subscription reaches the server is lost (they are hints);
        // a Cluster subscriber first discovers the nodes, which takes longer than one round trip.
        await sleep(300);
        await store.acquireLock(key, 'owner-a', 5_000);
        const first = token(1);
        await store.compareAndSet(key, first, 0, 'owner-a');
        const deadline = Date.now() + 2_000;
        while (!notices.some(([k]) => k === key) && Date.now() < deadline) await sleep(10);
        assert.deepEqual(
          notices.filter(([k]) => k === key),
          [[key, 1]],
        );
        // A notice may carry the token written (waiters then skip a read); if it does, exactly that one.
        for (const written of carried) assert.deepEqual(written, first);
      } finally {
        unsubscribe();
      }
      notices.length = 0;
      await store.compareAndSet(key, token(2), 1, 'owner-a');
      await sleep(100);
      assert.deepEqual(notices, []);
    },
  ],
];

/** The contract's cases, each on a fresh key of a store from `open`. */
export function tokenStoreContract(open: OpenTokenStore): TokenStoreContractCase[] {
  return [...CASES, ...LIFECYCLE_CASES].map(([name, body]) => ({
    name,
    run: async () => {
      const { store, close } = await open();
      try {
        await body(store, `contract-${randomBytes(6).toString('hex')}`);
      } finally {
        await close?.();
      }
    },
  }));
}
