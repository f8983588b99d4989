/**
 * The bookkeeping of refresh slots (`maxConcurrentRefreshes`), on the class itself: a slot is
 * never lost to a waiter that gave up, never handed out twice, and every queued refresh is told
 * when the plugin shuts down. (The behaviour through the plugin is in scale-bounds.)
 */
import { RefreshFailedError } from '../../lib';
import { RefreshSlots, type ReleaseSlot } from '../../lib/refresh/refresh-slots';

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

it('a waiter that timed out does not take the slot: the next one gets it', async () => {
  const slots = new RefreshSlots(1, 20);
  const release = await slots.acquire('a', true);
  const gaveUp = slots.acquire('b', true);
  await expect(gaveUp).rejects.toThrow(RefreshFailedError);
  const next = slots.acquire('c', false);

  release();

  expect(await settled(next)).toBe(true);
  expect(slots.queued).toBe(0);
});

it('releasing twice gives one slot back, not two', async () => {
  const slots = new RefreshSlots(1, 60_000);
  const release = await slots.acquire('a', false);
  release();
  release();
  await slots.acquire('b', false);

  expect(await settled(slots.acquire('c', false))).toBe(false);
  expect(slots.queued).toBe(1);
  slots.cancelAll(new Error('done'));
});

it('cancelAll fails every queued refresh, urgent or not, and counts none left; a timed-out one is not counted twice', async () => {
  const slots = new RefreshSlots(1, 20);
  await slots.acquire('holder', false);
  const timedOut = slots.acquire('late', true);
  await expect(timedOut).rejects.toThrow(RefreshFailedError);
  const queued = [slots.acquire('u', true), slots.acquire('b', false)];
  expect(slots.queued).toBe(2);

  const shutdown = new Error('detached');
  slots.cancelAll(shutdown);

  for (const waiting of queued) await expect(waiting).rejects.toBe(shutdown);
  expect(slots.queued).toBe(0);
});

it('requests go before background refreshes, and a promoted background refresh goes with the requests', async () => {
  const slots = new RefreshSlots(1, 60_000);
  let release: ReleaseSlot = await slots.acquire('holder', false);
  const order: string[] = [];
  const take = (key: string, urgent: boolean) =>
    slots.acquire(key, urgent).then((next) => {
      order.push(key);
      release = next;
    });
  const waiting = [take('background-1', false), take('background-2', false), take('request', true)];
  slots.promote('background-2');

  for (let i = 0; i < 3; i++) {
    release();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(waiting);

  expect(order).toEqual(['request', 'background-2', 'background-1']);
});

it('a promoted background refresh is handed a slot once, not again when the background queue reaches it', async () => {
  const slots = new RefreshSlots(1, 60_000);
  let release: ReleaseSlot = await slots.acquire('holder', false);
  const granted: string[] = [];
  const take = (key: string) =>
    slots.acquire(key, false).then((next) => {
      granted.push(key);
      release = next;
    });
  void take('promoted');
  void take('other');
  slots.promote('promoted');

  for (let i = 0; i < 3; i++) {
    release();
    await new Promise((resolve) => setImmediate(resolve));
  }

  expect(granted).toEqual(['promoted', 'other']);
  expect(slots.queued).toBe(0);
});

it('promote finds the latest background refresh queued for a key, also after an earlier one for that key got its slot', async () => {
  const slots = new RefreshSlots(1, 60_000);
  let release: ReleaseSlot = await slots.acquire('holder', false);
  const granted: string[] = [];
  const take = (key: string, label: string) =>
    slots.acquire(key, false).then(
      (next) => {
        granted.push(label);
        release = next;
      },
      () => undefined, // 'x' is still queued when the test ends
    );
  void take('k', 'k-first');
  void take('x', 'x');
  void take('k', 'k-second');

  release();
  await new Promise((resolve) => setImmediate(resolve));
  slots.promote('k');
  release();
  await new Promise((resolve) => setImmediate(resolve));

  expect(granted).toEqual(['k-first', 'k-second']);
  slots.cancelAll(new Error('done'));
});

it('keeps nothing about background refreshes once they got a slot, timed out or were cancelled', async () => {
  const slots = new RefreshSlots(1, 20);
  let release: ReleaseSlot = await slots.acquire('holder', false);
  const waiting = ['a', 'b', 'c'].map((key) => slots.acquire(key, false));
  expect(slots.promotable).toBe(3);

  release = (await (release(), waiting[0])) as ReleaseSlot; // 'a' got the slot
  expect(slots.promotable).toBe(2);
  slots.promote('b');
  await expect(waiting[1]).rejects.toThrow(RefreshFailedError); // promoted, then timed out in the urgent queue
  slots.cancelAll(new Error('detached'));
  await expect(waiting[2]).rejects.toThrow('detached');

  expect(slots.promotable).toBe(0);
  expect(slots.queued).toBe(0);
  release();
});

it('serves thousands of queued refreshes in order, each once (the queue compacts as it goes)', async () => {
  const slots = new RefreshSlots(1, 60_000);
  let release: ReleaseSlot = await slots.acquire('holder', false);
  const count = 3_000;
  const granted: number[] = [];
  const waiting = Array.from({ length: count }, (_, index) =>
    slots.acquire(`key-${index}`, index % 2 === 0).then((next) => {
      granted.push(index);
      release = next;
    }),
  );

  for (let i = 0; i < count; i++) {
    release();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(waiting);

  const requests = granted.slice(0, count / 2);
  const background = granted.slice(count / 2);
  expect(requests).toEqual(Array.from({ length: count / 2 }, (_, i) => i * 2));
  expect(background).toEqual(Array.from({ length: count / 2 }, (_, i) => i * 2 + 1));
  expect(slots.queued).toBe(0);
});
