import { randomBytes } from 'node:crypto';
import { RedisTokenStore, TokenDecodeError, type TokenSet } from '../lib';
import { createCluster, createRedis, matrixLabel } from './helpers/redis-client';
import { startRedisCluster, type RedisCluster } from './helpers/redis-cluster';
import { startRedisServer, type RedisServer } from '../lib/testing';
import { describeTokenStoreContract } from './helpers/store-contract';

let server: RedisServer;
let cluster: RedisCluster;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([server.stop(), cluster.stop()]);
});

function opened(client: ReturnType<typeof createRedis>, store: RedisTokenStore) {
  return { store, close: async () => void (await client.quit()) };
}

describe(`RedisTokenStore (${matrixLabel})`, () => {
  describeTokenStoreContract('RedisTokenStore', async () => {
    const client = createRedis(server.port);
    return opened(client, new RedisTokenStore(client, { prefix: 'contract' }));
  });

  describeTokenStoreContract('RedisTokenStore on a client with keyPrefix', async () => {
    const client = createRedis(server.port, { keyPrefix: 'app1:' });
    return opened(client, new RedisTokenStore(client));
  });

  describeTokenStoreContract('RedisTokenStore with encryptionKey', async () => {
    const client = createRedis(server.port);
    return opened(client, new RedisTokenStore(client, { prefix: 'enc', encryptionKey: randomBytes(32) }));
  });

  describeTokenStoreContract('RedisTokenStore on a 3-master Cluster', async () => {
    const client = createCluster(cluster.ports);
    return opened(client, new RedisTokenStore(client, { prefix: 'cluster' }));
  });

  const token: TokenSet = { accessToken: 'at-secret-value', refreshToken: 'rt-secret-value', version: 1, issuedAt: Date.now(), extra: {} };

  async function write(store: RedisTokenStore, key: string, value: TokenSet = token): Promise<void> {
    expect(await store.acquireLock(key, 'o', 5_000)).toBe(true);
    expect(await store.compareAndSet(key, value, value.version - 1, 'o')).toBe(true);
    await store.releaseLock(key, 'o');
  }

  it('uses the documented key layout, with the credential as hash tag, and honours keyPrefix', async () => {
    const client = createRedis(server.port, { keyPrefix: 'svc:' });
    const raw = createRedis(server.port);
    try {
      const store = new RedisTokenStore(client, { prefix: 'tokens' });
      await store.acquireLock('linkedin:acct-42', 'owner', 5_000);
      await store.compareAndSet('linkedin:acct-42', token, 0, 'owner');
      expect(await raw.call('EXISTS', 'svc:tokens:{linkedin:acct-42}:token')).toBe(1);
      expect(await raw.call('GET', 'svc:tokens:{linkedin:acct-42}:lock')).toBe('owner');
    } finally {
      await Promise.all([client.quit(), raw.quit()]);
    }
  });

  it('stores JSON without a key, and ciphertext (no token visible) with one', async () => {
    const client = createRedis(server.port);
    try {
      await write(new RedisTokenStore(client, { prefix: 'plain' }), 'k');
      await write(new RedisTokenStore(client, { prefix: 'secret', encryptionKey: randomBytes(32).toString('base64') }), 'k');
      const plain = String(await client.call('HGET', 'plain:{k}:token', 'd'));
      const secret = String(await client.call('HGET', 'secret:{k}:token', 'd'));
      expect(JSON.parse(plain)).toEqual(token);
      expect(secret).toMatch(/^v2:/);
      expect(secret).not.toContain('secret-value');
    } finally {
      await client.quit();
    }
  });

  it('reports a wrong key, a tampered value, or a missing key as a clear TokenDecodeError', async () => {
    const client = createRedis(server.port);
    try {
      const key = randomBytes(32);
      const store = new RedisTokenStore(client, { prefix: 'tamper', encryptionKey: key });
      await write(store, 'k');

      await expect(new RedisTokenStore(client, { prefix: 'tamper', encryptionKey: randomBytes(32) }).get('k')).rejects.toThrow(
        /could not be decrypted: wrong encryptionKey, or the value or its version was tampered with/,
      );
      await expect(new RedisTokenStore(client, { prefix: 'tamper' }).get('k')).rejects.toThrow(/is encrypted, but the store has no encryptionKey/);

      const stored = String(await client.call('HGET', 'tamper:{k}:token', 'd'));
      const flipped = Buffer.from(stored.slice(3), 'base64');
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
      await client.call('HSET', 'tamper:{k}:token', 'd', `v1:${flipped.toString('base64')}`);
      const error = await store.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenDecodeError);

      // A value copied under another credential's key does not decrypt (the key is authenticated data).
      await client.call('HSET', 'tamper:{other}:token', 'v', '1', 'd', stored);
      await expect(store.get('other')).rejects.toThrow(TokenDecodeError);

      // The version field is authenticated too: raising it (to make the next fenced write fail) is detected,
      // with or without encryption.
      await write(store, 'versioned');
      await client.call('HSET', 'tamper:{versioned}:token', 'v', '999');
      await expect(store.get('versioned')).rejects.toThrow(/could not be decrypted: wrong encryptionKey, or the value or its version was tampered with/);
      const plain = new RedisTokenStore(client, { prefix: 'plain' });
      await write(plain, 'versioned');
      await client.call('HSET', 'plain:{versioned}:token', 'v', '999');
      await expect(plain.get('versioned')).rejects.toThrow(/says version 1, but the store's version field says 999: it was tampered with/);
    } finally {
      await client.quit();
    }
  });

  it('validates its options with TypeErrors', () => {
    const client = createRedis(server.port);
    try {
      expect(() => new RedisTokenStore({} as never)).toThrow(/expects an ioredis Redis or Cluster/);
      expect(() => new RedisTokenStore(client, { encryptionKey: 'short' })).toThrow(/`encryptionKey` must be exactly 32 bytes/);
      expect(() => new RedisTokenStore(client, { prefix: 'a{b}' })).toThrow(/`prefix` must be a non-empty string without/);
      expect(() => new RedisTokenStore(client, { commandTimeoutMs: 0 })).toThrow(/`commandTimeoutMs`/);
    } finally {
      client.disconnect();
    }
  });
});
