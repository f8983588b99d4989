/**
 * `store.credentials({ match })`: what an operator may see of every credential — version, expiry,
 * refresh token present, deleted, locked, failure — and never a secret, on both stores (Redis plain
 * and encrypted, a real redis-server).
 */
import { randomBytes } from 'node:crypto';
import { MemoryTokenStore, RedisTokenStore, type CredentialStatus, type TokenSet } from '../../lib';
import { startRedisServer, type RedisServer } from '../../lib/testing';
import { createCluster, createRedis } from '../helpers/redis-client';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster';

const ENCRYPTION_KEY = randomBytes(32);

function token(version: number, expiresAt: number, withRefresh = true): TokenSet {
  return {
    accessToken: `at_${randomBytes(12).toString('hex')}`,
    ...(withRefresh ? { refreshToken: `rt_${randomBytes(12).toString('hex')}` } : {}),
    expiresAt,
    version,
    issuedAt: Date.now(),
    extra: {},
    generation: 1_000,
  };
}

async function collect(iterable: AsyncIterable<CredentialStatus>): Promise<CredentialStatus[]> {
  const all: CredentialStatus[] = [];
  for await (const status of iterable) all.push(status);
  return all.sort((a, b) => a.key.localeCompare(b.key));
}

type ListingStore = MemoryTokenStore | RedisTokenStore;

let redis: RedisServer;
const clients: Array<{ disconnect(): void }> = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.stop();
});

const stores: Array<[string, () => ListingStore]> = [
  ['MemoryTokenStore', () => new MemoryTokenStore()],
  [
    'RedisTokenStore',
    () => {
      const client = createRedis(redis.port);
      clients.push(client);
      return new RedisTokenStore(client, { prefix: `list-${randomBytes(4).toString('hex')}` });
    },
  ],
  [
    'RedisTokenStore with encryptionKey',
    () => {
      const client = createRedis(redis.port);
      clients.push(client);
      return new RedisTokenStore(client, { prefix: `list-${randomBytes(4).toString('hex')}`, encryptionKey: ENCRYPTION_KEY });
    },
  ],
];

describe.each(stores)('%s.credentials()', (_, open) => {
  it('lists every credential with its version, expiry, refresh token, lock, failure and deletion — and no secret', async () => {
    const store = open();
    const written: TokenSet[] = [];
    for (const [key, version, withRefresh] of [
      ['tenant-a', 3, true],
      ['tenant-b', 1, false],
      ['tenant-c', 2, true],
      ['other', 1, true],
    ] as const) {
      const set = token(version, 1_900_000_000_000 + version, withRefresh);
      written.push(set);
      await store.acquireLock(key, 'seed', 5_000);
      await store.compareAndSet(key, { ...set, version: 1 }, 0, 'seed');
      if (version > 1) await store.compareAndSet(key, set, 1, 'seed');
      await store.releaseLock(key, 'seed');
    }
    await store.acquireLock('tenant-a', 'refresher', 5_000);
    await store.setRefreshFailure('tenant-b', {
      kind: 'reauthorize',
      version: 1,
      attempts: 1,
      until: 1_900_000_000_000,
      rememberUntil: Date.now() + 60_000,
    });
    await store.delete('tenant-c', { version: 3, deletedAt: 2_000 });

    const listed = await collect(store.credentials({ match: 'tenant-*' }));

    expect(listed).toEqual([
      { key: 'tenant-a', version: 3, expiresAt: 1_900_000_000_003, hasRefreshToken: true, deleted: false, locked: true },
      {
        key: 'tenant-b',
        version: 1,
        expiresAt: 1_900_000_000_001,
        hasRefreshToken: false,
        deleted: false,
        locked: false,
        failure: { kind: 'reauthorize', until: 1_900_000_000_000 },
      },
      { key: 'tenant-c', version: 3, hasRefreshToken: false, deleted: true, locked: false },
    ]);
    const text = JSON.stringify(listed);
    for (const set of written) {
      expect(text).not.toContain(set.accessToken);
      if (set.refreshToken !== undefined) expect(text).not.toContain(set.refreshToken);
    }
  });

  it('matches with Redis glob rules: ? and [..], and \\ to escape', async () => {
    const store = open();
    for (const key of ['a1', 'a2', 'b1', 'a*']) {
      await store.acquireLock(key, 'seed', 5_000);
      await store.compareAndSet(key, token(1, 1_900_000_000_000), 0, 'seed');
    }

    const keys = async (match: string): Promise<string[]> => (await collect(store.credentials({ match }))).map((status) => status.key);

    expect(await keys('a?')).toEqual(['a*', 'a1', 'a2']);
    expect(await keys('[ab]1')).toEqual(['a1', 'b1']);
    expect(await keys('a\\*')).toEqual(['a*']);
    expect(await keys('*')).toEqual(['a*', 'a1', 'a2', 'b1']);
  });
});

it('RedisTokenStore lists only its own prefix', async () => {
  const client = createRedis(redis.port);
  clients.push(client);
  const mine = new RedisTokenStore(client, { prefix: 'mine' });
  const theirs = new RedisTokenStore(client, { prefix: 'mine-too' });
  for (const store of [mine, theirs]) {
    await store.acquireLock('k', 'seed', 5_000);
    await store.compareAndSet('k', token(1, 1_900_000_000_000), 0, 'seed');
  }

  expect((await collect(mine.credentials())).map((status) => status.key)).toEqual(['k']);
});

describe('on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('scans every master: 30 credentials spread over the slots are all listed', async () => {
    const client = createCluster(cluster.ports);
    clients.push(client);
    const store = new RedisTokenStore(client, { prefix: 'listed' });
    const keys = Array.from({ length: 30 }, (_, index) => `tenant-${index}`);
    for (const key of keys) {
      await store.acquireLock(key, 'seed', 5_000);
      await store.compareAndSet(key, token(1, 1_900_000_000_000), 0, 'seed');
    }

    const listed = (await collect(store.credentials())).map((status) => status.key);

    expect(listed).toEqual([...keys].sort());
  });
});
