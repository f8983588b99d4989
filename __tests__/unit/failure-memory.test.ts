/**
 * The rules of the failure memory, on a clock the test sets: how long a failed refresh holds a
 * version back, when a further failure doubles the wait, what the fleet's record adds, and which
 * records go first when the in-process copy is full. (The behaviour through the plugin, against a
 * failing token endpoint, is in refresh-backoff.)
 */
import { MemoryTokenStore, ReauthorizationRequiredError, RefreshFailedError } from '../../lib';
import { createEvents, createStats } from '../../lib/events';
import { Reporter } from '../../lib/reporting/reporter';
import { FailureMemory } from '../../lib/refresh/failure-memory';
import { KnownSecrets } from '../../lib/secrets/known-secrets';
import { StoreGuard } from '../../lib/refresh/store-guard';
import type { RefreshFailureRecord } from '../../lib/stores/token-store';

const T0 = 1_800_000_000_000;
let now = T0;
beforeEach(() => {
  now = T0;
  jest.spyOn(Date, 'now').mockImplementation(() => now);
});
afterEach(() => jest.restoreAllMocks());

/** `random` 0.5 makes the jitter factor exactly 1. */
function memoryOver(store = new MemoryTokenStore(), backoff = { initial: 100, max: 1_000 }): FailureMemory {
  const guard = new StoreGuard(store, 'local', new Reporter(createEvents(), createStats(), undefined), new KnownSecrets(), () => undefined);
  return new FailureMemory(guard, backoff, () => 0.5);
}
const failure = (retryAfterMs?: number) =>
  new RefreshFailedError('token endpoint down', { key: 'k', ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
const retryAfter = async (memory: FailureMemory, version: number, error = failure()) =>
  ((await memory.record('k', version, error)) as RefreshFailedError).retryAfterMs;

describe('backoff records', () => {
  it('double the wait for each failure of the same version, and start again for a new version', async () => {
    const memory = memoryOver();
    expect([await retryAfter(memory, 1), await retryAfter(memory, 1), await retryAfter(memory, 1)]).toEqual([100, 200, 400]);
    expect(await retryAfter(memory, 2)).toBe(100);
  });

  it("follow the token endpoint's Retry-After when longer, capped at one hour", async () => {
    const memory = memoryOver();
    expect(await retryAfter(memory, 1, failure(5_000))).toBe(5_000);
    expect(await retryAfter(memory, 2, failure(3 * 24 * 3_600_000))).toBe(3_600_000);
    expect(await retryAfter(memory, 3, failure(1))).toBe(100);
  });

  it('are remembered past their window, so a failure right after it still doubles the wait', async () => {
    const memory = memoryOver(); // first wait 100 ms, remembered 100 + 1 000 ms
    await retryAfter(memory, 1);
    now = T0 + 1_050;
    expect(await retryAfter(memory, 1)).toBe(200);
    now += 200 + 1_000; // remembered until exactly now: forgotten
    expect(await retryAfter(memory, 1)).toBe(100);
  });

  it('hold the version back until the wait is over, with the time left', async () => {
    const memory = memoryOver();
    await retryAfter(memory, 1);
    now = T0 + 40;
    expect(() => memory.checkLocal('k', 1)).toThrow(
      expect.objectContaining({ retryAfterMs: 60, message: expect.stringContaining('next try in 60 ms') }),
    );
    expect(() => memory.checkLocal('k', 2)).not.toThrow();
    now = T0 + 100;
    expect(() => memory.checkLocal('k', 1)).not.toThrow();
  });
});

describe('invalid_grant records', () => {
  it('refuse that version with ReauthorizationRequiredError, saying why', async () => {
    const memory = memoryOver();
    await memory.record('k', 3, new ReauthorizationRequiredError('invalid_grant', { key: 'k' }));
    expect(() => memory.checkLocal('k', 3)).toThrow(ReauthorizationRequiredError);
    expect(() => memory.checkLocal('k', 3)).toThrow(
      'the token endpoint refused the refresh token of "k" (version 3) as invalid_grant; the user must authorise again',
    );
    expect(() => memory.checkLocal('k', 4)).not.toThrow();
  });
});

describe("the fleet's record", () => {
  /** A store that answers one fixed record, as a custom store whose records do not expire may. */
  class StoreWithRecord extends MemoryTokenStore {
    constructor(private readonly record: RefreshFailureRecord) {
      super();
    }
    override async getRefreshFailure(): Promise<RefreshFailureRecord | null> {
      return this.record;
    }
  }
  const backoffRecord = (until: number, rememberUntil: number): RefreshFailureRecord => ({
    kind: 'backoff',
    version: 1,
    attempts: 2,
    until,
    rememberUntil,
  });

  it('is adopted while it is remembered, and holds this process back too', async () => {
    const memory = memoryOver(new StoreWithRecord(backoffRecord(T0 + 500, T0 + 2_000)));
    await expect(memory.check('k', 1)).rejects.toThrow(RefreshFailedError);
    expect(memory.size).toBe(1);
    expect(() => memory.checkLocal('k', 1)).toThrow(RefreshFailedError);
  });

  it('is ignored once its memory ended, to the millisecond', async () => {
    for (const rememberUntil of [T0 - 1, T0]) {
      const memory = memoryOver(new StoreWithRecord(backoffRecord(T0 - 1_000, rememberUntil)));
      await memory.check('k', 1);
      expect(memory.size).toBe(0);
    }
  });
});

describe('the in-process copy', () => {
  it('forgets a record at the end of its memory, to the millisecond', async () => {
    const memory = memoryOver();
    await retryAfter(memory, 1); // remembered until T0 + 1 100
    now = T0 + 1_099;
    memory.checkLocal('k', 1);
    expect(memory.size).toBe(1);
    now = T0 + 1_100;
    memory.checkLocal('k', 1);
    expect(memory.size).toBe(0);
  });

  it('when full (10 000 records), drops the oldest, one per new record', async () => {
    const memory = memoryOver(new MemoryTokenStore(), { initial: 60_000, max: 60_000 });
    for (let i = 0; i < 10_005; i++) await memory.record(`tenant-${i}`, 1, failure());
    expect(memory.size).toBe(10_000);
    expect(() => memory.checkLocal('tenant-5', 1)).toThrow(RefreshFailedError);
    expect(() => memory.checkLocal('tenant-4', 1)).not.toThrow();
  });

  it('when full, drops the records whose memory ended first (to the millisecond), and then no live one', async () => {
    const memory = memoryOver(new MemoryTokenStore(), { initial: 1_000, max: 1_000 });
    now = T0 + 500;
    await memory.record('oldest-live', 1, failure(2_000)); // holds back until T0 + 2 500
    for (let i = 0; i < 9_998; i++) await memory.record(`tenant-${i}`, 1, failure());
    now = T0;
    await memory.record('ended', 1, failure()); // remembered until T0 + 2 000
    now = T0 + 2_000;
    await memory.record('newest', 1, failure());

    expect(memory.size).toBe(10_000);
    expect(() => memory.checkLocal('oldest-live', 1)).toThrow(RefreshFailedError);
  });
});
