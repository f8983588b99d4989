/**
 * The bookkeeping of refresh slots (`maxConcurrentRefreshes`), on the class itself: a slot is
 * never lost to a waiter that gave up, never handed out twice, and every queued refresh is told
 * when the plugin shuts down. (The behaviour through the plugin is in scale-bounds.)
 */
import { RefreshFailedError } from '../lib';
import { RefreshSlots, type ReleaseSlot } from '../lib/refresh/refresh-slots';

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
