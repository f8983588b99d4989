/**
 * RedisTokenStore on a real redis-server (and a real cluster), spawned per suite: the store
 * contract on every client shape, then what only Redis has.
 */
import { randomBytes } from 'node:crypto';
import { RedisCommandTimeoutError, RedisTokenStore, TokenDecodeError, type TokenSet } from '../../lib';
import { clientKind, createRedis, createStoreCluster, createStoreRedis, matrixLabel, type StoreRedis } from '../helpers/redis-client';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster';
import { type RedisServer, startRedisServer } from '../../lib/testing';
import { describeTokenStoreContract } from '../helpers/store-contract';
import { until } from '../helpers/setup';

let server: RedisServer;
let cluster: RedisCluster;
/** Two connections to `server` for the tests beyond the contract: the store's (of the matrix's client), and one (ioredis) to look at what it wrote. */
let client: StoreRedis;
let raw: ReturnType<typeof createRedis>;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
  client = createStoreRedis(server.port);
  raw = createRedis(server.port);
}, 60_000);
afterAll(async () => {
  await Promise.all([client.quit(), raw.quit()]);
  await Promise.all([server.stop(), cluster.stop()]);
});

function opened(client: { quit(): Promise<unknown> }, store: RedisTokenStore) {
  return { store, close: async () => void (await client.quit()) };
}

describe(`RedisTokenStore (${matrixLabel})`, () => {
  describeTokenStoreContract('RedisTokenStore', async () => {
    const client = createStoreRedis(server.port);
    return opened(client, new RedisTokenStore(client, { prefix: 'contract' }));
  });

  // keyPrefix is an ioredis option; node-redis has none.
  if (clientKind === 'ioredis') {
    describeTokenStoreContract('RedisTokenStore on a client with keyPrefix', async () => {
      const client = createRedis(server.port, { keyPrefix: 'app1:' });
      return opened(client, new RedisTokenStore(client));
    });
  }

  describeTokenStoreContract('RedisTokenStore with encryptionKey', async () => {
    const client = createStoreRedis(server.port);
    return opened(client, new RedisTokenStore(client, { prefix: 'enc', encryptionKey: randomBytes(32) }));
  });

  describeTokenStoreContract('RedisTokenStore on a 3-master Cluster', async () => {
    const client = await createStoreCluster(cluster.ports);
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
    const client = createStoreRedis(server.port);
    try {
      await write(new RedisTokenStore(client, { prefix: 'plain' }), 'k');
      await write(new RedisTokenStore(client, { prefix: 'secret', encryptionKey: randomBytes(32).toString('base64') }), 'k');
      const plain = String(await raw.call('HGET', 'plain:{k}:token', 'd'));
      const secret = String(await raw.call('HGET', 'secret:{k}:token', 'd'));
      expect(JSON.parse(plain)).toEqual(token);
      expect(secret).toMatch(/^v2:/);
      expect(secret).not.toContain('secret-value');
    } finally {
      await client.quit();
    }
  });

  it('reports a wrong key, a tampered value, or a missing key as a clear TokenDecodeError', async () => {
    const client = createStoreRedis(server.port);
    try {
      const key = randomBytes(32);
      const store = new RedisTokenStore(client, { prefix: 'tamper', encryptionKey: key });
      await write(store, 'k');

      await expect(new RedisTokenStore(client, { prefix: 'tamper', encryptionKey: randomBytes(32) }).get('k')).rejects.toThrow(
        /could not be decrypted: wrong encryptionKey, or the value or its version was tampered with/,
      );
      await expect(new RedisTokenStore(client, { prefix: 'tamper' }).get('k')).rejects.toThrow(
        /is encrypted, but the store has no encryptionKey/,
      );

      const stored = String(await raw.call('HGET', 'tamper:{k}:token', 'd'));
      const flipped = Buffer.from(stored.slice(3), 'base64');
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
      await raw.call('HSET', 'tamper:{k}:token', 'd', `v1:${flipped.toString('base64')}`);
      const error = await store.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenDecodeError);

      // A value copied under another credential's key does not decrypt (the key is authenticated data).
      await raw.call('HSET', 'tamper:{other}:token', 'v', '1', 'd', stored);
      await expect(store.get('other')).rejects.toThrow(TokenDecodeError);

      // The version field is authenticated too: raising it (to make the next fenced write fail) is detected,
      // with or without encryption.
      await write(store, 'versioned');
      await raw.call('HSET', 'tamper:{versioned}:token', 'v', '999');
      await expect(store.get('versioned')).rejects.toThrow(
        /could not be decrypted: wrong encryptionKey, or the value or its version was tampered with/,
      );
      const plain = new RedisTokenStore(client, { prefix: 'plain' });
      await write(plain, 'versioned');
      await raw.call('HSET', 'plain:{versioned}:token', 'v', '999');
      await expect(plain.get('versioned')).rejects.toThrow(/says version 1, but the store's version field says 999: it was tampered with/);
    } finally {
      await client.quit();
    }
  });

  it('getOrLock on a value it cannot decode: TokenDecodeError, and the lock it took is given back', async () => {
    const store = new RedisTokenStore(client, { prefix: 'undecodable', encryptionKey: randomBytes(32) });
    await write(store, 'k');
    const otherKey = new RedisTokenStore(client, { prefix: 'undecodable', encryptionKey: randomBytes(32) });

    await expect(otherKey.getOrLock('k', { owner: 'reader', ttlMs: 60_000, ifVersionAtMost: 1 })).rejects.toThrow(TokenDecodeError);
    expect(await raw.call('GET', 'undecodable:{k}:lock')).toBeNull();
  });

  it('validates its options with TypeErrors', () => {
    const client = createStoreRedis(server.port);
    try {
      expect(() => new RedisTokenStore({} as never)).toThrow(/expects an ioredis Redis or Cluster, or a node-redis client/);
      expect(() => new RedisTokenStore(client, { encryptionKey: 'short' })).toThrow(/`encryptionKey` must be exactly 32 bytes/);
      expect(() => new RedisTokenStore(client, { prefix: 'a{b}' })).toThrow(/`prefix` must be a non-empty string without/);
      expect(() => new RedisTokenStore(client, { commandTimeoutMs: 0 })).toThrow(/`commandTimeoutMs`/);
    } finally {
      client.disconnect();
    }
  });
});

// Beyond the contract: what the store leaves in Redis (TTLs, key names), what it makes of values and
// notices it did not write, when it lets go of its subscriber connection, how a silent server ends a
// command, and every option refusal.

const token = (version: number): TokenSet => ({ accessToken: `at-${version}`, version, issuedAt: Date.now(), extra: {} });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('refresh-failure records', () => {
  const store = (): RedisTokenStore => new RedisTokenStore(client, { prefix: 'fail' });

  it('live in `<prefix>:{key}:failure` with a TTL of rememberUntil', async () => {
    await store().setRefreshFailure('k1', {
      kind: 'backoff',
      version: 1,
      attempts: 2,
      until: Date.now() + 1_000,
      rememberUntil: Date.now() + 30_000,
    });
    const ttl = Number(await raw.call('PTTL', 'fail:{k1}:failure'));
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('a record already past rememberUntil is written with the smallest TTL, not refused by Redis', async () => {
    await store().setRefreshFailure('k2', {
      kind: 'backoff',
      version: 1,
      attempts: 2,
      until: Date.now() - 5_000,
      rememberUntil: Date.now() - 1_000,
    });
    await sleep(20);
    expect(await store().getRefreshFailure('k2')).toBeNull();
  });

  it.each([
    ['not JSON', '{kind:'],
    ['JSON null', 'null'],
    ['another kind', JSON.stringify({ kind: 'later', version: 1, attempts: 1, until: 1, rememberUntil: 1 })],
    ['a fractional version', JSON.stringify({ kind: 'backoff', version: 1.5, attempts: 1, until: 1, rememberUntil: 1 })],
    ['a string attempts', JSON.stringify({ kind: 'backoff', version: 1, attempts: '1', until: 1, rememberUntil: 1 })],
    ['no until', JSON.stringify({ kind: 'backoff', version: 1, attempts: 1, rememberUntil: 1 })],
    ['a string until', JSON.stringify({ kind: 'reauthorize', version: 1, attempts: 1, until: '1', rememberUntil: 1 })],
    ['no rememberUntil', JSON.stringify({ kind: 'reauthorize', version: 1, attempts: 1, until: 1 })],
    ['a string rememberUntil', JSON.stringify({ kind: 'reauthorize', version: 1, attempts: 1, until: 1, rememberUntil: '1' })],
  ])('a record that is %s reads as none (it is only a hint to hold back)', async (_name, value) => {
    await raw.call('SET', 'fail:{junk}:failure', value);
    expect(await store().getRefreshFailure('junk')).toBeNull();
  });

  it.each(['backoff', 'reauthorize'] as const)('a %s record reads back as written', async (kind) => {
    const record = { kind, version: 4, attempts: 1, until: Date.now() + 1_000, rememberUntil: Date.now() + 5_000 };
    await store().setRefreshFailure(`ok-${kind}`, record);
    expect(await store().getRefreshFailure(`ok-${kind}`)).toEqual(record);
  });
});

describe('entry TTL', () => {
  it('restore sets the TTL too, and a store without ttlMs leaves entries without one', async () => {
    const expiring = new RedisTokenStore(client, { prefix: 'ttl-restore', ttlMs: 1_000 });
    expect(expiring.entryTtlMs).toBe(1_000);
    expect(await expiring.restore('k', token(1))).toBe(true);
    const ttl = Number(await raw.call('PTTL', 'ttl-restore:{k}:token'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);

    const plain = new RedisTokenStore(client, { prefix: 'ttl-none' });
    expect(plain.entryTtlMs).toBeUndefined();
    await plain.restore('k', token(1));
    expect(Number(await raw.call('PTTL', 'ttl-none:{k}:token'))).toBe(-1);
  });

  it('the longest allowed ttlMs is ten years', () => {
    const tenYears = 10 * 365 * 24 * 60 * 60 * 1000;
    expect(new RedisTokenStore(client, { ttlMs: tenYears }).entryTtlMs).toBe(tenYears);
  });
});

describe('change notices', () => {
  it('junk on the channel and messages on other channels are ignored; a well-formed notice is delivered', async () => {
    const store = new RedisTokenStore(client, { prefix: 'notices' });
    const seen: Array<[string, number | undefined]> = [];
    const unsubscribe = store.subscribe((key, version) => seen.push([key, version]));
    try {
      await sleep(100); // let the subscription reach Redis
      for (const junk of ['not json', 'null', '{"key":1,"version":2}', '{"key":"a","version":"2"}', '{"key":"a"}']) {
        await raw.call('PUBLISH', 'notices:token-written', junk);
      }
      await raw.call('PUBLISH', 'other:token-written', JSON.stringify({ key: 'elsewhere', version: 9 }));
      await raw.call('PUBLISH', 'notices:token-written', JSON.stringify({ key: 'k', version: 7 }));
      await until(() => seen.length > 0, 'the well-formed notice', 2_000);
      await sleep(50);
      expect(seen).toEqual([['k', 7]]);
    } finally {
      unsubscribe();
    }
  });

  it('one subscriber connection for all listeners, closed when the last one leaves', async () => {
    const store = new RedisTokenStore(client, { prefix: 'subs' });
    const subscribers = async (): Promise<number> => {
      const reply = (await raw.call('PUBSUB', 'NUMSUB', 'subs:token-written')) as unknown[];
      return Number(reply[1]);
    };
    const first: number[] = [];
    const second: number[] = [];
    const leaveFirst = store.subscribe((_key, version) => first.push(version ?? -1));
    const leaveSecond = store.subscribe((_key, version) => second.push(version ?? -1));
    await sleep(100); // let the subscription reach Redis
    expect(await subscribers()).toBe(1);

    leaveFirst();
    await raw.call('PUBLISH', 'subs:token-written', JSON.stringify({ key: 'k', version: 1 }));
    await until(() => second.length > 0, "the second listener's notice", 2_000);
    expect([first, second]).toEqual([[], [1]]);
    expect(await subscribers()).toBe(1);

    leaveSecond();
    let left = 1;
    for (const deadline = Date.now() + 2_000; left !== 0 && Date.now() < deadline; await sleep(20)) left = await subscribers();
    expect(left).toBe(0);
  });
});

describe('what a change notice carries', () => {
  it("a write's notice carries the token written: ciphertext on the wire with encryptionKey, decoded only with the same key", async () => {
    const encryptionKey = randomBytes(32);
    const writer = new RedisTokenStore(client, { prefix: 'carried', encryptionKey });
    const sameKey = new RedisTokenStore(client, { prefix: 'carried', encryptionKey });
    const otherKey = new RedisTokenStore(client, { prefix: 'carried', encryptionKey: randomBytes(32) });
    // What anyone subscribed to the channel sees.
    const wire = raw.duplicate();
    const onWire: string[] = [];
    wire.on('message', (_channel, message) => onWire.push(message));
    await wire.subscribe('carried:token-written');
    const heard: Array<[string, TokenSet | undefined]> = [];
    const leave = [
      sameKey.subscribe((_key, _version, _kind, written) => heard.push(['same key', written])),
      otherKey.subscribe((_key, _version, _kind, written) => heard.push(['other key', written])),
    ];
    try {
      await sleep(200); // both subscriptions reach Redis
      const written: TokenSet = {
        accessToken: 'at-carried-secret',
        refreshToken: 'rt-carried-secret',
        version: 1,
        issuedAt: Date.now(),
        extra: {},
      };
      await writer.acquireLock('k', 'o', 5_000);
      expect(await writer.compareAndSet('k', written, 0, 'o')).toBe(true);
      await until(() => heard.length === 2 && onWire.length === 1, 'both notices', 2_000);

      expect(heard.find(([who]) => who === 'same key')?.[1]).toEqual(written);
      // Another key cannot read it: still a wake-up (the waiter reads instead), never an error.
      expect(heard.find(([who]) => who === 'other key')).toEqual(['other key', undefined]);
      expect(onWire[0]).not.toContain('carried-secret');
      expect(JSON.parse(onWire[0] as string)).toMatchObject({ key: 'k', version: 1, value: expect.stringMatching(/^v2:/) });
    } finally {
      for (const unsubscribe of leave) unsubscribe();
      wire.disconnect();
    }
  });

  it('a notice from a store that sends no value (or junk in it) is still delivered, with no token', async () => {
    const store = new RedisTokenStore(client, { prefix: 'bare' });
    const heard: Array<[string, number | undefined, TokenSet | undefined]> = [];
    const unsubscribe = store.subscribe((key, version, _kind, written) => heard.push([key, version, written]));
    try {
      await sleep(100);
      await raw.call('PUBLISH', 'bare:token-written', JSON.stringify({ key: 'old', version: 3 }));
      await raw.call('PUBLISH', 'bare:token-written', JSON.stringify({ key: 'junk', version: 4, value: 'not a token' }));
      await until(() => heard.length === 2, 'both notices', 2_000);
      expect(heard).toEqual([
        ['old', 3, undefined],
        ['junk', 4, undefined],
      ]);
    } finally {
      unsubscribe();
    }
  });
});

describe('scripts', () => {
  it('are sent by SHA, and again in full after the server forgot them (SCRIPT FLUSH, restart, failover)', async () => {
    const store = new RedisTokenStore(client, { prefix: 'sha' });
    expect(await store.restore('k', token(1))).toBe(true);
    await raw.call('SCRIPT', 'FLUSH');
    expect(await store.restore('k', token(2))).toBe(true);
    expect((await store.get('k'))?.version).toBe(2);
  });
});

describe('a server that does not answer', () => {
  it('ends each command after commandTimeoutMs with RedisCommandTimeoutError naming the command', async () => {
    const paused = await startRedisServer();
    const slowClient = createStoreRedis(paused.port, { maxRetriesPerRequest: null });
    try {
      const store = new RedisTokenStore(slowClient, { prefix: 'slow', commandTimeoutMs: 150 });
      await store.get('warm-up');
      paused.pause();
      const started = Date.now();
      const error = await store.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisCommandTimeoutError);
      expect((error as Error).message).toBe('Redis did not answer HMGET within 150 ms');
      expect((error as Error).name).toBe('RedisCommandTimeoutError');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      paused.resume();
      slowClient.disconnect();
      await paused.stop();
    }
  });
});

describe('command timeouts', () => {
  it('are cleared once Redis answers: commands leave no timer behind', async () => {
    const store = new RedisTokenStore(client, { prefix: 'timers', commandTimeoutMs: 60_000 });
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();

    for (let i = 0; i < 20; i++) await store.get('k');

    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe('options', () => {
  it.each([
    ['options null', null, /`options` must be an object/],
    ['an empty prefix', { prefix: '' }, /`prefix` must be a non-empty string without \{ or \}/],
    ['a prefix with }', { prefix: 'a}' }, /`prefix` must be a non-empty string without \{ or \}/],
    ['a numeric prefix', { prefix: 5 }, /`prefix` must be a non-empty string/],
    ['ttlMs under a second', { ttlMs: 999 }, /`ttlMs` must be an integer number of milliseconds from 1000 to 315360000000 \(10 years\)/],
    ['ttlMs over ten years', { ttlMs: 315_360_000_001 }, /`ttlMs` must be an integer number/],
    ['a fractional ttlMs', { ttlMs: 1_500.5 }, /`ttlMs` must be an integer number/],
    ['a string ttlMs', { ttlMs: '60000' }, /`ttlMs` must be an integer number/],
    ['an unknown option', { ttl: 60_000 }, /ttl/],
  ])('refuses %s with a TypeError', (_name, options, message) => {
    expect(() => new RedisTokenStore(client, options as never)).toThrow(TypeError);
    expect(() => new RedisTokenStore(client, options as never)).toThrow(message);
  });

  it('refuses a client without call() or without duplicate()', () => {
    expect(() => new RedisTokenStore({ call: async () => null } as never)).toThrow(
      /expects an ioredis Redis or Cluster, or a node-redis client/,
    );
    expect(() => new RedisTokenStore({ duplicate: () => client } as never)).toThrow(
      /expects an ioredis Redis or Cluster, or a node-redis client/,
    );
    expect(() => new RedisTokenStore(null as never)).toThrow(TypeError);
  });

  it('the default prefix is axios-token-flight', async () => {
    const store = new RedisTokenStore(client);
    await store.restore('default-prefix', token(1));
    expect(Number(await raw.call('EXISTS', 'axios-token-flight:{default-prefix}:token'))).toBe(1);
  });
});
