/**
 * Type tests: every Redis client `RedisTokenStore` supports is accepted as its real type says it is —
 * ioredis 5 and 6 (`Redis`, `Cluster`), node-redis 4, 5 and 6 (`createClient`, `createCluster`, and
 * `createSentinel` from 5) — and anything else is refused at compile time. Compiled by
 * `npm run typecheck`, never run.
 */
import { Cluster, Redis } from 'ioredis';
import type IORedis5 from 'ioredis5';
import { createClient, createCluster, createSentinel } from 'redis';
import { createClient as createClient4, createCluster as createCluster4 } from 'redis4';
import { createClient as createClient5, createCluster as createCluster5, createSentinel as createSentinel5 } from 'redis5';
import { RedisTokenStore } from '../../lib';

declare const ioredis5: IORedis5;

export const accepted = [
  new RedisTokenStore(new Redis()),
  new RedisTokenStore(new Cluster([])),
  new RedisTokenStore(ioredis5),
  new RedisTokenStore(createClient()),
  new RedisTokenStore(createClient({ RESP: 3 })),
  new RedisTokenStore(createCluster({ rootNodes: [] })),
  new RedisTokenStore(createSentinel({ name: 'tokens', sentinelRootNodes: [] })),
  new RedisTokenStore(createClient5()),
  new RedisTokenStore(createCluster5({ rootNodes: [] })),
  new RedisTokenStore(createSentinel5({ name: 'tokens', sentinelRootNodes: [] })),
  new RedisTokenStore(createClient4()),
  new RedisTokenStore(createCluster4({ rootNodes: [] })),
];

// @ts-expect-error a plain object is not a Redis client
export const refused = new RedisTokenStore({ get: async () => null });
