import { MemoryTokenStore, type TokenSet, type TokenStore } from '../../lib';

/**
 * A store whose backend can lose everything (a Redis without persistence, restarted) or stop
 * answering. It has no `restore` of its own, so the plugin emulates it with the lock.
 */
export class ForgetfulStore implements TokenStore {
  #inner = new MemoryTokenStore();
  /** While true, every call fails as a dead connection would. */
  down = false;
  /** The version of every token written, in order. */
  readonly written: number[] = [];

  forget(): void {
    this.#inner = new MemoryTokenStore();
  }
  get(key: string) {
    return this.#answer(() => this.#inner.get(key));
  }
  compareAndSet(key: string, next: TokenSet, expected: number, owner: string) {
    return this.#answer(async () => {
      const done = await this.#inner.compareAndSet(key, next, expected, owner);
      if (done) this.written.push(next.version);
      return done;
    });
  }
  acquireLock(key: string, owner: string, ttl: number) {
    return this.#answer(() => this.#inner.acquireLock(key, owner, ttl));
  }
  releaseLock(key: string, owner: string) {
    return this.#answer(() => this.#inner.releaseLock(key, owner));
  }

  #answer<T>(call: () => Promise<T>): Promise<T> {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) : call();
  }
}
