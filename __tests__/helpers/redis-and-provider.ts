import { startFakeProvider, startRedisServer, type FakeProvider, type FakeProviderBehaviour, type RedisServer } from '../../lib/testing';
import { Cleanups } from './setup';

export interface RedisAndProvider {
  readonly redis: RedisServer;
  readonly provider: FakeProvider;
  /** Runs after the test, in reverse order, before the servers stop (detach handles, disconnect clients). */
  onCleanup(...cleanup: Array<() => unknown>): void;
}

/**
 * A fresh redis-server and fake OAuth provider (rotation and reuse detection on) for every test of
 * the calling file, stopped after each. Call at the top level of a test file.
 */
export function useRedisAndProvider(behaviour: Partial<FakeProviderBehaviour> = {}): RedisAndProvider {
  let redis: RedisServer | undefined;
  let provider: FakeProvider | undefined;
  const cleanups = new Cleanups();
  beforeEach(async () => {
    [redis, provider] = await Promise.all([startRedisServer(), startFakeProvider(behaviour)]);
  });
  afterEach(async () => {
    await cleanups.run();
    await provider?.close();
    await redis?.stop();
  });
  return {
    get redis() {
      if (redis === undefined) throw new Error('useRedisAndProvider: only inside a test');
      return redis;
    },
    get provider() {
      if (provider === undefined) throw new Error('useRedisAndProvider: only inside a test');
      return provider;
    },
    onCleanup: (...cleanup) => void cleanups.push(...cleanup),
  };
}

export type ProviderOnly = Omit<RedisAndProvider, 'redis'>;

/** As `useRedisAndProvider`, for tests whose store is in-process: a fresh fake provider per test. */
export function useFakeProvider(behaviour: Partial<FakeProviderBehaviour> = {}): ProviderOnly {
  let provider: FakeProvider | undefined;
  const cleanups = new Cleanups();
  beforeEach(async () => {
    provider = await startFakeProvider(behaviour);
  });
  afterEach(async () => {
    await cleanups.run();
    await provider?.close();
  });
  return {
    get provider() {
      if (provider === undefined) throw new Error('useFakeProvider: only inside a test');
      return provider;
    },
    onCleanup: (...cleanup) => void cleanups.push(...cleanup),
  };
}
