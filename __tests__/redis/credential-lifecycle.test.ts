/**
 * A credential's life around its refreshes: deleted fleet-wide when a customer disconnects,
 * re-connected without an old copy winning, and recovered from a process's copy after the store
 * lost it — against a real redis-server and a provider that rotates refresh tokens and revokes the
 * family on reuse. Each "process" is a handle with its own Redis connections.
 */
import axios, { type AxiosInstance } from 'axios';
import {
  attachTokenRefresh,
  MemoryTokenStore,
  oauth2,
  ReauthorizationRequiredError,
  RedisTokenStore,
  StoreUnavailableError,
  type TokenPersistence,
  type TokenRefreshHandle,
  type TokenSet,
} from '../../lib';
import { useRedisAndProvider } from '../helpers/redis-and-provider';
import { createRedis } from '../helpers/redis-client';
import { until } from '../helpers/setup';

jest.setTimeout(30_000);

const servers = useRedisAndProvider();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const settle = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (r) => r,
    (e: unknown) => e,
  );

interface Process {
  readonly api: AxiosInstance;
  readonly handle: TokenRefreshHandle;
  readonly store: RedisTokenStore;
}

function process(options: { persist?: TokenPersistence; notices?: boolean } = {}): Process {
  const client = createRedis(servers.redis.port);
  client.on?.('error', () => undefined);
  const store = new RedisTokenStore(client, { prefix: 'life' });
  if (options.notices === false) Object.defineProperty(store, 'subscribe', { value: undefined });
  const api = axios.create({ baseURL: servers.provider.url });
  const handle = attachTokenRefresh(api, {
    store,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: servers.provider.tokenUrl, clientId: 'c', clientSecret: 's' }),
    ...(options.persist === undefined ? {} : { persist: options.persist }),
  });
  servers.onCleanup(
    () => client.disconnect(),
    () => handle.detach(),
  );
  return { api, handle, store };
}

/** Counts `store`'s reads and records what `requestCopies` answered, from now on. */
function watch(store: RedisTokenStore): { reads: number; canBeHeard: boolean[] } {
  const watched = { reads: 0, canBeHeard: [] as boolean[] };
  const [get, getOrLock, requestCopies] = [store.get.bind(store), store.getOrLock.bind(store), store.requestCopies.bind(store)];
  store.get = (key) => ((watched.reads += 1), get(key));
  store.getOrLock = (key, lock) => ((watched.reads += 1), getOrLock(key, lock));
  store.requestCopies = async (key) => {
    const answer = await requestCopies(key);
    watched.canBeHeard.push(answer);
    return answer;
  };
  return watched;
}

async function redisKeys(): Promise<string[]> {
  const admin = createRedis(servers.redis.port);
  try {
    return ((await admin.call('KEYS', 'life:*')) as string[]).sort();
  } finally {
    admin.disconnect();
  }
}

async function flushAll(): Promise<void> {
  const admin = createRedis(servers.redis.port);
  await admin.call('FLUSHALL');
  admin.disconnect();
}

describe('deleteToken', () => {
  it('the deleting process fails at once, the others within a second of the notice; nothing writes the credential back', async () => {
    const [a, b, c] = [process(), process(), process()];
    await a.handle.setToken(servers.provider.authorize());
    await Promise.all([b.api.get('/api/x'), c.api.get('/api/x')]);
    await sleep(300); // subscriptions are up

    await a.handle.deleteToken();
    const own = await settle(a.api.get('/api/x'));
    await sleep(1_000);
    const others = await Promise.all([settle(b.api.get('/api/x')), settle(c.api.get('/api/x'))]);

    expect(own).toBeInstanceOf(ReauthorizationRequiredError);
    expect(others.map((result) => result instanceof ReauthorizationRequiredError)).toEqual([true, true]);
    expect(servers.provider.stats.refreshes).toBe(0);
    expect(await redisKeys()).toEqual(['life:{default}:deleted']);
  });

  it('a process that missed the notice uses its valid copy until due, then neither refreshes nor puts it back', async () => {
    const [a, deaf] = [process(), process({ notices: false })];
    await a.handle.setToken({ ...servers.provider.authorize(), expiresIn: 2 });
    await deaf.api.get('/api/x');

    await a.handle.deleteToken();
    const stillValid = await settle(deaf.api.get('/api/x'));
    await sleep(2_100); // its copy is due (and expired)
    const afterExpiry = await settle(deaf.api.get('/api/x'));

    expect((stillValid as { status?: number }).status).toBe(200);
    expect(afterExpiry).toBeInstanceOf(ReauthorizationRequiredError);
    expect(servers.provider.stats.refreshes).toBe(0);
    expect(servers.provider.stats.reuseDetections).toBe(0);
    expect(await redisKeys()).toEqual(['life:{default}:deleted']);
  });

  it('setToken after a delete wins everywhere and does not keep the deleted refresh token', async () => {
    const [a, b] = [process(), process()];
    const old = servers.provider.authorize();
    await a.handle.setToken(old);
    await b.api.get('/api/x');
    await a.handle.deleteToken();

    const seeded = await b.handle.setToken({ accessToken: servers.provider.authorize().accessToken, expiresIn: 3600 });
    await sleep(200);

    expect(seeded.refreshToken).toBeUndefined();
    expect((await a.handle.getToken()).accessToken).toBe(seeded.accessToken);
    expect(await redisKeys()).toEqual(['life:{default}:token']);
  });

  it('persist.delete is called once, by the deleting process; a save still being retried never writes the credential back', async () => {
    const rows = new Map<string, TokenSet>();
    let failSaves = 0;
    const deletes: string[] = [];
    const persist: TokenPersistence = {
      load: (key) => rows.get(key) ?? null,
      save: (key, token) => {
        if (failSaves > 0) {
          failSaves -= 1;
          throw new Error('database busy');
        }
        rows.set(key, token);
      },
      delete: (key) => {
        deletes.push(key);
        rows.delete(key);
      },
    };
    const [a, b] = [process({ persist }), process({ persist })];
    await a.handle.setToken(servers.provider.authorize());
    failSaves = 1;
    servers.provider.revokeAccessTokens();
    await a.api.get('/api/x'); // refreshed; its save failed and waits for a retry (~1 s)
    await b.api.get('/api/x');

    await a.handle.deleteToken();
    await sleep(2_500);

    expect(deletes).toEqual(['default']);
    expect(rows.size).toBe(0);
    expect(await settle(b.api.get('/api/x'))).toBeInstanceOf(ReauthorizationRequiredError);
  });
});

it('a lagging database that still returns the deleted row is outranked by the tombstone: nothing loaded, nothing written back', async () => {
  const rows = new Map<string, TokenSet>();
  let loads = 0;
  const lagging: TokenPersistence = {
    load: (key) => {
      loads += 1;
      return rows.get(key) ?? null;
    },
    save: (key, token) => void rows.set(key, token),
    delete: () => undefined, // a replica that has not seen the delete yet
  };
  const [a, fresh] = [process({ persist: lagging }), process({ persist: lagging })];
  await a.handle.setToken(servers.provider.authorize());
  await a.handle.deleteToken();
  loads = 0;

  const error = await settle(fresh.api.get('/api/x'));

  expect(error).toBeInstanceOf(ReauthorizationRequiredError);
  expect(loads).toBe(0);
  expect(await redisKeys()).toEqual(['life:{default}:deleted']);
});

it("deleteToken while the store is down rejects with a retryable StoreUnavailableError (onStoreError 'local' too): a deletion that did not reach the store did not happen", async () => {
  class DownForDeletes extends MemoryTokenStore {
    override async delete(): Promise<void> {
      throw new Error('connection refused');
    }
  }
  const store = new DownForDeletes();
  const handle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), {
    store,
    onStoreError: 'local',
    refresh: async () => ({ accessToken: 'unused' }),
  });
  servers.onCleanup(() => handle.detach());
  await handle.setToken({ accessToken: 'at_0123456789', expiresIn: 3600 });

  const error = await settle(handle.deleteToken());

  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect(error).toMatchObject({ retryable: true });
  expect((await store.get('default'))?.accessToken).toBe('at_0123456789');
});

describe('re-connect and data loss', () => {
  it('after FLUSHALL, a re-seed by a process that never held the key wins over the old copy held elsewhere (0 reuse)', async () => {
    const [holder, reseeder] = [process(), process()];
    const old = servers.provider.authorize();
    await holder.handle.setToken(old);
    servers.provider.revokeAccessTokens();
    await holder.api.get('/api/x'); // version 2 of the old grant
    await sleep(300);
    await flushAll();

    const fresh = servers.provider.authorize();
    await reseeder.handle.setToken(fresh);
    servers.provider.revokeGrant(old.refreshToken); // the customer re-connected: the old grant is gone
    await sleep(300);
    const viaHolder = await holder.handle.getToken();
    servers.provider.revokeAccessTokens();
    await holder.api.get('/api/x');

    expect(viaHolder.refreshToken).toBe(fresh.refreshToken);
    expect(servers.provider.stats.reuseDetections).toBe(0);
  });

  it('after FLUSHALL, a new process is served by the copy another process holds: no ReauthorizationRequiredError, no reauthorize record', async () => {
    const holder = process();
    await holder.handle.setToken(servers.provider.authorize());
    await holder.api.get('/api/x');
    await sleep(300);
    await flushAll();

    const newcomer = process();
    await sleep(300); // its subscription is up (it answers 'wanted' notices too)
    const response = await newcomer.api.get('/api/x');

    expect(response.status).toBe(200);
    expect(servers.provider.stats.refreshes).toBe(0);
    await until(async () => (await redisKeys()).length > 0, 'the seed to reach Redis', 3_000);
    expect(await redisKeys()).toEqual(['life:{default}:token']);
  });

  it('a process alone on the store does not wait for copies nobody can send: no polling reads', async () => {
    const lonely = process();
    await sleep(300); // subscribed: PUBLISH now counts it, and only it
    const watched = watch(lonely.store);

    const error = await settle(lonely.api.get('/api/x'));

    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect(watched.canBeHeard).toEqual([false]);
    expect(watched.reads).toBe(1); // the read that took the lock; none while waiting
  });

  it('a credential nobody holds, with another process listening: it polls for a copy, then ReauthorizationRequiredError, without a fleet-wide record', async () => {
    const [lonely, other] = [process(), process()];
    await other.handle.getToken('someone-else').catch(() => undefined);
    await sleep(300);
    const watched = watch(lonely.store);

    const error = await settle(lonely.api.get('/api/x'));

    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect(watched.canBeHeard).toEqual([true]);
    expect(watched.reads).toBeGreaterThanOrEqual(5); // the store polled through the wait
    expect((await redisKeys()).filter((key) => key.endsWith(':failure'))).toEqual([]);
  });
});
