/**
 * The `persist` retry bookkeeping on the class itself: a failed save is announced, logged and
 * retried until it lands or a newer version supersedes it; an older or superseded save never
 * overwrites a newer one; after `flush()` or `stop()` nothing is retried. (The behaviour through the
 * plugin is in persist and shutdown.)
 */
import type { TokenSet } from '../../lib';
import { createEvents, createStats, type TokenFlightEventMap } from '../../lib/events';
import { Reporter } from '../../lib/reporting/reporter';
import { KnownSecrets } from '../../lib/secrets/known-secrets';
import { Persistence } from '../../lib/refresh/persistence';
import { recordingLogger, storedToken as token } from '../helpers/setup';

interface Deferred {
  readonly version: number;
  resolve(): void;
  reject(error: Error): void;
}

/** A durable store whose every `save` waits for the test to settle it (or settles at once, when told to). */
function scriptedPersist() {
  const saves: Deferred[] = [];
  const saved: number[] = [];
  let answer: 'wait' | 'fail' | 'succeed' = 'wait';
  const persist = {
    load: async () => null,
    save: (_key: string, token: TokenSet) =>
      new Promise<void>((resolve, reject) => {
        const settle = {
          version: token.version,
          resolve: () => {
            saved.push(token.version);
            resolve();
          },
          reject,
        };
        saves.push(settle);
        if (answer === 'fail') settle.reject(new Error('disk full'));
        if (answer === 'succeed') settle.resolve();
      }),
  };
  return { persist, saves, saved, answerWith: (next: typeof answer) => (answer = next) };
}

function setup() {
  const script = scriptedPersist();
  const events = createEvents();
  const failed: Array<TokenFlightEventMap['persist-failed']> = [];
  events.on('persist-failed', (payload) => failed.push(payload));
  const log = recordingLogger();
  const persistence = new Persistence(script.persist, new Reporter(events, createStats(), log.logger), new KnownSecrets(), () => 0.5);
  return { ...script, persistence, failed, log };
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});
afterEach(() => {
  jest.useRealTimers();
});

const attemptedVersions = (saves: Deferred[]): number[] => saves.map((save) => save.version);

it('a failed save is announced, logged without the token, and retried until it lands', async () => {
  const { persistence, saves, saved, failed, log, answerWith } = setup();
  answerWith('fail');
  await persistence.save('k', token(2));

  expect(failed).toEqual([{ key: 'k', version: 2, attempt: 1, errorName: 'Error', retryInMs: expect.any(Number) }]);
  expect(log.warnings).toEqual([[failed[0], 'axios-token-flight: persist.save failed; the token is in use and the save will be retried']]);

  answerWith('succeed');
  await jest.advanceTimersByTimeAsync(failed[0]?.retryInMs ?? 0);

  expect(attemptedVersions(saves)).toEqual([2, 2]);
  expect(saved).toEqual([2]);
  await jest.advanceTimersByTimeAsync(120_000);
  expect(saves).toHaveLength(2);
});

it('a save for an older version than one still pending is ignored: the newer one keeps being retried', async () => {
  const { persistence, saves, saved, answerWith } = setup();
  answerWith('fail');
  await persistence.save('k', token(3));

  answerWith('succeed');
  await persistence.save('k', token(2));
  await jest.advanceTimersByTimeAsync(60_000);

  expect(attemptedVersions(saves)).toEqual([3, 3]);
  expect(saved).toEqual([3]);
});

it('the same version saved again is attempted at once, not left to the retry timer', async () => {
  const { persistence, saves, saved, answerWith } = setup();
  answerWith('fail');
  await persistence.save('k', token(3));

  answerWith('succeed');
  await persistence.save('k', token(3));

  expect(saved).toEqual([3]);
  await jest.advanceTimersByTimeAsync(60_000);
  expect(saves).toHaveLength(2);
});

it('a save that fails after a newer version superseded it is neither announced nor retried', async () => {
  const { persistence, saves, saved, failed } = setup();
  const first = persistence.save('k', token(1));
  const second = persistence.save('k', token(2));
  saves[1]?.resolve();
  await second;

  saves[0]?.reject(new Error('disk full'));
  await first;
  await jest.advanceTimersByTimeAsync(120_000);

  expect(failed).toEqual([]);
  expect(attemptedVersions(saves)).toEqual([1, 2]);
  expect(saved).toEqual([2]);
});

it('an older save landing late does not cancel the retries of a newer one that failed', async () => {
  const { persistence, saves, saved } = setup();
  const first = persistence.save('k', token(1));
  const second = persistence.save('k', token(2));
  saves[1]?.reject(new Error('disk full'));
  await second;
  saves[0]?.resolve();
  await first;

  const flushed = persistence.flush();
  saves[2]?.resolve();
  await flushed;

  expect(attemptedVersions(saves)).toEqual([1, 2, 2]);
  expect(saved).toEqual([1, 2]);
});

it('flush() makes one last attempt for what is pending, none for what already landed, and then retries nothing', async () => {
  const { persistence, saves, answerWith } = setup();
  answerWith('succeed');
  await persistence.save('done', token(1));
  answerWith('fail');
  await persistence.save('k', token(2));

  await persistence.flush();
  await jest.advanceTimersByTimeAsync(120_000);

  expect(attemptedVersions(saves)).toEqual([1, 2, 2]);
});

it('after stop() a pending save is not retried, and a failing save started later is not either', async () => {
  const { persistence, saves, answerWith } = setup();
  answerWith('fail');
  await persistence.save('k', token(2));

  persistence.stop();
  await jest.advanceTimersByTimeAsync(120_000);
  expect(saves).toHaveLength(1);

  await persistence.save('k', token(3));
  await jest.advanceTimersByTimeAsync(120_000);
  expect(attemptedVersions(saves)).toEqual([2, 3]);
});
