import { RefreshFailedError } from '../errors';

/** Gives a refresh slot back. Idempotent. */
export type ReleaseSlot = () => void;

interface Waiter {
  readonly key: string;
  /** Given a slot, timed out or cancelled: later queue entries for it are skipped. */
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(release: ReleaseSlot): void;
  reject(error: unknown): void;
}

const stillWaiting = (waiter: Waiter): boolean => !waiter.settled;

/** A FIFO of waiters with O(1) push and shift (an array with a moving head, compacted now and then). */
class WaiterQueue {
  #items: Waiter[] = [];
  #head = 0;

  push(waiter: Waiter): void {
    this.#items.push(waiter);
  }

  /** The next waiter that is still waiting for this queue, or `undefined`. */
  next(accept: (waiter: Waiter) => boolean): Waiter | undefined {
    while (this.#head < this.#items.length) {
      const waiter = this.#items[this.#head] as Waiter;
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      if (accept(waiter)) return waiter;
    }
    return undefined;
  }

  drain(): Waiter[] {
    const rest = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}

/**
 * Bounds how many refreshes this process runs at once (`maxConcurrentRefreshes`): providers
 * rate-limit their token endpoints, and a deploy, a Redis restore or the end of a provider outage
 * can make thousands of credentials due in the same minute.
 *
 * A slot is taken right before the store's refresh lock and given back right after, so a queued
 * refresh never holds a lock (its TTL keeps running while it waits) and reads never queue. Two
 * queues: a request waiting on an expired or rejected token goes before any background refresh,
 * and a background refresh that such a request joins is promoted. A waiting request's place in the
 * queue is bounded by `refreshTimeoutMs`, then it fails with a retryable `RefreshFailedError`;
 * background refreshes wait as long as it takes (the token they replace is still valid).
 */
export class RefreshSlots {
  #active = 0;
  #queuedCount = 0;
  readonly #urgent = new WaiterQueue();
  readonly #background = new WaiterQueue();
  /** Background waiters by key, to promote the one a waiting request joins. */
  readonly #queuedBackground = new Map<string, Waiter>();

  constructor(
    private readonly limit: number,
    private readonly urgentWaitMs: number,
  ) {}

  /** Refreshes waiting for a slot now. */
  get queued(): number {
    return this.#queuedCount;
  }

  /** Background refreshes a request could still promote: 0 when none is queued, or the map leaks one entry per key. */
  get promotable(): number {
    return this.#queuedBackground.size;
  }

  /** A slot now if one is free (nobody is queued then), else `undefined`; never queues. */
  tryAcquire(): ReleaseSlot | undefined {
    if (this.#active >= this.limit) return undefined;
    this.#active += 1;
    return this.#releaser();
  }

  acquire(key: string, urgent: boolean): Promise<ReleaseSlot> {
    const free = this.tryAcquire();
    if (free !== undefined) return Promise.resolve(free);
    this.#queuedCount += 1;
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = { key, settled: false, timer: undefined, resolve, reject };
      if (urgent) this.#enqueueUrgent(waiter);
      else {
        this.#background.push(waiter);
        this.#queuedBackground.set(key, waiter);
      }
    });
  }

  /** A request now waits on `key`'s queued background refresh: it goes to the urgent queue. */
  promote(key: string): void {
    const waiter = this.#queuedBackground.get(key);
    if (waiter === undefined || waiter.settled) return;
    this.#queuedBackground.delete(key);
    // Now in both queues: the urgent one reaches it first, and the background one skips it as settled.
    this.#enqueueUrgent(waiter);
  }

  /** Fails every queued refresh (`detach()` / `close()`); refreshes holding a slot finish. */
  cancelAll(error: unknown): void {
    this.#queuedBackground.clear();
    for (const waiter of [...this.#urgent.drain(), ...this.#background.drain()]) this.#settle(waiter)?.reject(error);
  }

  #enqueueUrgent(waiter: Waiter): void {
    waiter.timer = setTimeout(() => {
      this.#settle(waiter)?.reject(
        new RefreshFailedError(
          `axios-token-flight: "${waiter.key}" waited ${this.urgentWaitMs} ms for one of ${this.limit} refresh slots (maxConcurrentRefreshes); try again shortly`,
          { key: waiter.key, retryAfterMs: 1_000 },
        ),
      );
    }, this.urgentWaitMs);
    waiter.timer.unref();
    this.#urgent.push(waiter);
  }

  /** Marks `waiter` done once; `undefined` if it already was. */
  #settle(waiter: Waiter): Waiter | undefined {
    if (waiter.settled) return undefined;
    waiter.settled = true;
    this.#queuedCount -= 1;
    clearTimeout(waiter.timer);
    if (this.#queuedBackground.get(waiter.key) === waiter) this.#queuedBackground.delete(waiter.key);
    return waiter;
  }

  #releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#urgent.next(stillWaiting) ?? this.#background.next(stillWaiting);
      if (next === undefined) this.#active -= 1;
      else this.#settle(next)?.resolve(this.#releaser()); // the slot passes on: #active unchanged
    };
  }
}
