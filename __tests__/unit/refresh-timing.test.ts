/**
 * The timing rules of the refresh layer, checked as exact values: when a token is refreshed ahead
 * of expiry, how long propagation waits, backoffs and polls last, and that the pauses and races
 * built on them end when they should and leave no timer or listener behind (a process that runs
 * for weeks would collect them).
 */
import { getEventListeners } from 'node:events';
import { abortable, settleWithin, sleep } from '../../lib/async/abortable';
import { backoffDelay } from '../../lib/backoff';
import { pollDelay, refreshDueAt } from '../../lib/refresh/policies';
import { WakeUps } from '../../lib/refresh/wake-ups';
import { NO_EXTRA } from '../../lib/token-extra';

const token = (lifetimeMs: number) => ({ accessToken: 'a', version: 1, issuedAt: 0, expiresAt: lifetimeMs, extra: NO_EXTRA });
const always = (value: number) => () => value;
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const clearTimeoutOriginal = globalThis.clearTimeout;

describe('refreshDueAt', () => {
  it('starts the skew before expiry, minus up to 20 % jitter', () => {
    expect(refreshDueAt(token(3_600_000), 60_000, always(0))).toBe(3_540_000);
    expect(refreshDueAt(token(3_600_000), 60_000, always(1))).toBe(3_552_000);
  });

  it('never uses more than half the lifetime as skew', () => {
    expect(refreshDueAt(token(90_000), 60_000, always(0))).toBe(45_000);
    expect(refreshDueAt(token(90_000), 10_000, always(0))).toBe(80_000);
  });

  it('is never for a token without an expiry', () => {
    expect(refreshDueAt({ accessToken: 'a', version: 1, issuedAt: 0, extra: NO_EXTRA }, 60_000, always(0))).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('propagation and backoff delays', () => {
  const backoff = { initial: 100, max: 1_000 };

  it('double from the initial delay up to the cap, ±20 %', () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, backoff, always(0.5)))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(1, backoff, always(0))).toBe(160);
    expect(backoffDelay(1, backoff, always(1))).toBe(240);
  });

  it('never wait less than the initial delay, whatever the attempt number', () => {
    expect(backoffDelay(-1, backoff, always(0.5))).toBe(100);
  });
});

describe('pollDelay', () => {
  it('without change notices: 10 ms doubling to 250 ms, jittered between half and one and a half', () => {
    expect([0, 1, 4, 5, 20].map((attempt) => pollDelay(attempt, always(0.5), false))).toEqual([10, 20, 160, 250, 250]);
    expect(pollDelay(3, always(0), false)).toBe(40);
    expect(pollDelay(3, always(1), false)).toBe(120);
  });

  it('with change notices: 250 ms doubling to 2 s (a notice wakes the waiter; polls only cover a lost one)', () => {
    expect([0, 1, 3, 4, 20].map((attempt) => pollDelay(attempt, always(0.5), true))).toEqual([250, 500, 2_000, 2_000, 2_000]);
    expect(pollDelay(0, always(0), true)).toBe(125);
  });
});

describe('WakeUps', () => {
  const lifetime = new AbortController();
  afterAll(() => lifetime.abort());
  const elapsed = async (pause: Promise<void>) => {
    const started = Date.now();
    await pause;
    return Date.now() - started;
  };

  it('wakes every pause of a key, and only that key', async () => {
    const wakeUps = new WakeUps();
    const first = wakeUps.pause('k', 10_000, lifetime.signal);
    const second = wakeUps.pause('k', 10_000, lifetime.signal);
    let otherEnded = false;
    const other = wakeUps.pause('other', 200, lifetime.signal).then(() => (otherEnded = true));
    wakeUps.wake('k');
    expect(await elapsed(Promise.all([first, second]).then(() => undefined))).toBeLessThan(1_000);
    expect(otherEnded).toBe(false);
    await other;
  });

  it('still wakes a pause after another pause of the same key ended by its timer', async () => {
    const wakeUps = new WakeUps();
    const long = wakeUps.pause('k', 10_000, lifetime.signal);
    await wakeUps.pause('k', 5, lifetime.signal);
    wakeUps.wake('k');
    expect(await elapsed(long)).toBeLessThan(1_000);
  });

  it('ends every pause when its lifetime aborts', async () => {
    const wakeUps = new WakeUps();
    const own = new AbortController();
    const pauses = Promise.all([wakeUps.pause('k', 10_000, own.signal), wakeUps.pause('j', 10_000, own.signal)]).then(() => undefined);
    own.abort();
    expect(await elapsed(pauses)).toBeLessThan(1_000);
  });

  it('wakeAll ends the pauses of every key', async () => {
    const wakeUps = new WakeUps();
    const pauses = Promise.all([wakeUps.pause('k', 10_000, lifetime.signal), wakeUps.pause('j', 10_000, lifetime.signal)]).then(
      () => undefined,
    );
    wakeUps.wakeAll();
    expect(await elapsed(pauses)).toBeLessThan(1_000);
  });

  it('leaves no key, timer or abort listener behind, however a pause ended', async () => {
    const wakeUps = new WakeUps();
    const own = new AbortController();
    // Its own timers, not the process's count: a timer another suite in this worker left running may start meanwhile.
    const started = new Set<unknown>();
    const cleared = new Set<unknown>();
    const setTimer = jest.spyOn(globalThis, 'setTimeout');
    const clearTimer = jest.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: NodeJS.Timeout) => {
      cleared.add(handle);
      return clearTimeoutOriginal(handle);
    }) as typeof clearTimeout);
    try {
      await Promise.all([wakeUps.pause('a', 5, own.signal), wakeUps.pause('a', 10, own.signal), wakeUps.pause('b', 5, own.signal)]);
      const woken = wakeUps.pause('c', 10_000, own.signal);
      wakeUps.wake('c');
      await woken;
    } finally {
      for (const result of setTimer.mock.results) started.add(result.value);
      setTimer.mockRestore();
      clearTimer.mockRestore();
    }
    expect(wakeUps.waitingKeys).toBe(0);
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(0);
    expect(started.size).toBe(4);
    expect([...started].filter((timer) => !cleared.has(timer))).toEqual([]);
  });
});

describe('abortable', () => {
  it('passes the outcome through, and rejects with a CanceledError as soon as a signal aborts', async () => {
    const controller = new AbortController();
    await expect(abortable(Promise.resolve('value'), undefined, controller.signal)).resolves.toBe('value');
    await expect(abortable(Promise.reject(new Error('boom')), controller.signal)).rejects.toThrow('boom');
    const waiting = abortable(new Promise(() => undefined), undefined, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'CanceledError' });
    await expect(abortable(Promise.resolve('late'), controller.signal)).rejects.toMatchObject({ name: 'CanceledError' });
  });

  it('removes its abort listeners once the promise settles', async () => {
    const controller = new AbortController();
    await abortable(Promise.resolve(1), controller.signal);
    await abortable(Promise.reject(new Error('x')), controller.signal).catch(() => undefined);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('sleep clears its timer when aborted', async () => {
    const controller = new AbortController();
    const before = timers();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'CanceledError' });
    expect(timers()).toBeLessThanOrEqual(before); // a timer started elsewhere may end meanwhile; ours must not remain
  });
});

describe('settleWithin', () => {
  it('gives up on a promise that never settles after the time given', async () => {
    const started = Date.now();
    await settleWithin(new Promise(() => undefined), 20);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('returns as soon as the promise settles, rejected or not, and leaves no timer behind', async () => {
    const before = timers();
    await settleWithin(Promise.reject(new Error('ignored')), 60_000);
    await settleWithin(Promise.resolve(), 60_000);
    expect(timers()).toBeLessThanOrEqual(before); // a timer started elsewhere may end meanwhile; ours must not remain
  });
});
