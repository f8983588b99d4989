import { MemoryTokenStore, type TokenSet, type TokenStore } from '../../lib';
import { tokenStoreContract } from 'axios-token-flight/testing';
import { describeTokenStoreContract } from '../helpers/store-contract';

describeTokenStoreContract('MemoryTokenStore', async () => ({ store: new MemoryTokenStore() }));

describe('the shipped contract suite', () => {
  /** A store with a classic bug: compare-and-set checks the version but not the lock owner. */
  class UnfencedStore extends MemoryTokenStore {
    override async compareAndSet(key: string, next: TokenSet, expectedVersion: number): Promise<boolean> {
      const current = await this.get(key);
      if ((current?.version ?? 0) !== expectedVersion) return false;
      await this.restore(key, next);
      return true;
    }
  }
  /** A store that loses what it does not know: `extra` is dropped on write. */
  class ForgetfulStore extends MemoryTokenStore {
    override compareAndSet(key: string, next: TokenSet, expectedVersion: number, owner: string): Promise<boolean> {
      const { extra: _dropped, ...rest } = next;
      return super.compareAndSet(key, rest as TokenSet, expectedVersion, owner);
    }
  }

  async function failures(store: () => TokenStore): Promise<string[]> {
    const failed: string[] = [];
    for (const { name, run } of tokenStoreContract(async () => ({ store: store() }))) {
      await run().catch(() => failed.push(name));
    }
    return failed;
  }

  it('catches a store whose compare-and-set ignores the lock', async () => {
    expect(await failures(() => new UnfencedStore())).toEqual([
      'holds a lock only until it expires: its owner can then neither write nor release it',
      'fences a writer whose lock expired and was taken by another owner',
      'refuses a write without the lock, even with the right version',
      'delete leaves no token but a tombstone, which fences every write of a grant seeded before it (when it offers delete)',
    ]);
  });

  it('catches a store whose restore compares versions only (an old grant with a higher version overwrites a re-seeded one)', async () => {
    class VersionOnlyStore extends MemoryTokenStore {
      override async restore(key: string, token: TokenSet): Promise<boolean> {
        const current = await this.get(key);
        if (current !== null && current.version >= token.version) return false;
        return super.restore(key, { ...token, generation: Number.MAX_SAFE_INTEGER });
      }
    }
    expect(await failures(() => new VersionOnlyStore())).toEqual([
      'delete leaves no token but a tombstone, which fences every write of a grant seeded before it (when it offers delete)',
      'restore ranks grants before versions: a newer grant is never overwritten by an older one, whatever its version (when it offers restore)',
    ]);
  });

  it('catches a store that drops fields it does not know', async () => {
    expect(await failures(() => new ForgetfulStore())).toEqual([
      'returns null for an unknown key and round-trips a written token set exactly (extra included)',
      'getOrLock reads, and takes a free lock only when nothing newer than ifVersionAtMost is stored (when it offers getOrLock)',
      'notifies subscribers of a write with its version (and, if it sends one, the token written), and stops after unsubscribe (when it offers subscribe)',
    ]);
  });

  it('catches a getOrLock that answers "locked" without taking the lock, or takes it over a newer token', async () => {
    class ClaimsTheLock extends MemoryTokenStore {
      override async getOrLock(key: string) {
        return { token: await this.get(key), locked: true };
      }
    }
    class LocksOverNewer extends MemoryTokenStore {
      override async getOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }) {
        return { token: await this.get(key), locked: await this.acquireLock(key, lock.owner, lock.ttlMs) };
      }
    }
    const getOrLockCase =
      'getOrLock reads, and takes a free lock only when nothing newer than ifVersionAtMost is stored (when it offers getOrLock)';
    expect(await failures(() => new ClaimsTheLock())).toEqual([getOrLockCase]);
    expect(await failures(() => new LocksOverNewer())).toEqual([getOrLockCase]);
  });
});
