/**
 * Pauses of processes waiting on another's refresh, cut short by a change notice for their key
 * (pub/sub is only a hint: the pause always ends by itself), by `detach()`, or by `close()`.
 */
export class WakeUps {
  readonly #wakers = new Map<string, Set<() => void>>();

  /** Sleeps `ms`, or less if `wake(key)` / `wakeAll()` is called or `lifetime` aborts. */
  pause(key: string, ms: number, lifetime: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let wakers = this.#wakers.get(key);
      if (wakers === undefined) {
        wakers = new Set();
        this.#wakers.set(key, wakers);
      }
      const set = wakers;
      const wake = (): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#wakers.get(key) === set) this.#wakers.delete(key);
        lifetime.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
      lifetime.addEventListener('abort', wake);
    });
  }

  /** Whether a pause for `key` is running. */
  waitsFor(key: string): boolean {
    return this.#wakers.has(key);
  }

  wake(key: string): void {
    const wakers = this.#wakers.get(key);
    if (wakers !== undefined) for (const wake of [...wakers]) wake();
  }

  wakeAll(): void {
    for (const wakers of [...this.#wakers.values()]) for (const wake of [...wakers]) wake();
  }

  /** Keys with a pause running: 0 when idle, or the map leaks one entry per credential ever waited on. */
  get waitingKeys(): number {
    return this.#wakers.size;
  }
}
