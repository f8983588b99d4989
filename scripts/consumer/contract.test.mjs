// The shipped store contract suite under node:test, from the packed package.
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryTokenStore, RedisTokenStore } from 'axios-token-flight';
import { startRedisServer, tokenStoreContract } from 'axios-token-flight/testing';

for (const { name, run } of tokenStoreContract(async () => ({ store: new MemoryTokenStore() }))) test(`MemoryTokenStore: ${name}`, run);

const redis = await startRedisServer();
test.after(() => redis.stop());
for (const { name, run } of tokenStoreContract(async () => {
  const client = new Redis(redis.url);
  return { store: new RedisTokenStore(client, { prefix: 'consumer' }), close: async () => void (await client.quit()) };
})) {
  test(`RedisTokenStore: ${name}`, run);
}
