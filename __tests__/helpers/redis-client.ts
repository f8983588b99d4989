/**
 * Redis client factories for the Redis suites. The client the *store* gets is chosen by environment:
 *   REDIS_CLIENT=ioredis (default) | node-redis
 *   IOREDIS_MAJOR=6 (default) | 5                 (ioredis 5 speaks RESP2 only)
 *   NODE_REDIS_MAJOR=6 (default) | 5 | 4          (node-redis 4 speaks RESP2 only)
 *   REDIS_PROTOCOL=3 (default where the client speaks it) | 2
 * `createRedis`/`createCluster` always give ioredis: tests use it to look at what the store wrote.
 */
import type { RedisClientLike, RedisTokenStoreClient } from '../../lib';

interface ClientOptions {
  keyPrefix?: string;
  password?: string;
  maxRetriesPerRequest?: number | null;
}

interface Closable {
  quit(): Promise<unknown>;
  disconnect(): unknown;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

type RedisConstructor = new (options: Record<string, unknown>) => RedisClientLike & Closable;
type ClusterConstructor = new (
  nodes: Array<{ host: string; port: number }>,
  options: Record<string, unknown>,
) => RedisClientLike & Closable;

export const clientKind: 'ioredis' | 'node-redis' = process.env['REDIS_CLIENT'] === 'node-redis' ? 'node-redis' : 'ioredis';
export const ioredisMajor = process.env['IOREDIS_MAJOR'] === '5' ? 5 : 6;
export const nodeRedisMajor = ({ '4': 4, '5': 5 } as const)[process.env['NODE_REDIS_MAJOR'] ?? ''] ?? 6;
const speaksResp3 = clientKind === 'ioredis' ? ioredisMajor === 6 : nodeRedisMajor !== 4;
export const redisProtocol = speaksResp3 && process.env['REDIS_PROTOCOL'] !== '2' ? 3 : 2;
export const matrixLabel = `${clientKind} ${clientKind === 'ioredis' ? ioredisMajor : nodeRedisMajor}, RESP${redisProtocol}`;

function load(): { Redis: RedisConstructor; Cluster: ClusterConstructor } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = (ioredisMajor === 5 && clientKind === 'ioredis' ? require('ioredis5') : require('ioredis')) as {
    default: RedisConstructor;
    Cluster: ClusterConstructor;
  };
  return { Redis: module.default, Cluster: module.Cluster };
}

function protocolOptions(): Record<string, unknown> {
  // Under node-redis, ioredis only looks: its own protocol is not the one under test.
  return clientKind === 'ioredis' && ioredisMajor === 6 ? { protocol: redisProtocol } : {};
}

/** An ioredis client (the store's under REDIS_CLIENT=ioredis; the tests' own eyes always). */
export function createRedis(port: number, options: ClientOptions = {}) {
  const { Redis } = load();
  return new Redis({ host: '127.0.0.1', port, ...protocolOptions(), maxRetriesPerRequest: 1, ...options });
}

export function createCluster(ports: number[], options: ClientOptions = {}) {
  const { Cluster } = load();
  return new Cluster(
    ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: { ...protocolOptions(), ...options }, enableReadyCheck: true },
  );
}

/** A store client of the matrix's kind: quit() and disconnect() never reject (node-redis' do once closed). */
export type StoreRedis = RedisTokenStoreClient & { quit(): Promise<unknown>; disconnect(): void };

interface NodeRedisModule {
  createClient(options: Record<string, unknown>): NodeRedisConnection;
  createCluster(options: Record<string, unknown>): NodeRedisConnection;
}
type NodeRedisConnection = RedisTokenStoreClient & {
  connect(): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
};

function nodeRedis(): NodeRedisModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(nodeRedisMajor === 6 ? 'redis' : `redis${nodeRedisMajor}`) as NodeRedisModule;
}

/** Connecting starts now; a node-redis client queues the commands sent meanwhile (a cluster does not: await `ready`). */
function connected(client: NodeRedisConnection): StoreRedis & { ready: Promise<unknown> } {
  client.on('error', () => undefined);
  const ready = client.connect().catch(() => undefined);
  const [quit, disconnect] = [client.quit.bind(client), client.disconnect.bind(client)];
  return Object.assign(client, {
    ready,
    quit: () => quit().catch(() => undefined),
    disconnect: () => void disconnect().catch(() => undefined),
  });
}

const resp = (): Record<string, unknown> => (nodeRedisMajor === 4 ? {} : { RESP: redisProtocol });

export function createStoreRedis(port: number, options: Pick<ClientOptions, 'maxRetriesPerRequest'> = {}): StoreRedis {
  if (clientKind === 'ioredis') {
    return createRedis(port, options);
  }
  return connected(nodeRedis().createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: 100 }, ...resp() }));
}

/** Resolves once the cluster client knows the slots (as the store expects it: connected). */
export async function createStoreCluster(ports: number[]): Promise<StoreRedis> {
  if (clientKind === 'ioredis') {
    return createCluster(ports);
  }
  const rootNodes = ports.map((port) => ({ socket: { host: '127.0.0.1', port } }));
  const cluster = connected(nodeRedis().createCluster({ rootNodes, ...resp() }));
  await cluster.ready;
  return cluster;
}

interface NodeRedisSentinelModule {
  createSentinel(options: Record<string, unknown>): NodeRedisConnection;
}

/**
 * A client that finds the master through Sentinel: ioredis (`sentinels` + `name`) or node-redis
 * `createSentinel` (redis 5 and 6; redis 4 has none). Resolves once connected.
 */
export async function createStoreSentinel(sentinelPorts: number[], name: string): Promise<StoreRedis> {
  const sentinels = sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
  if (clientKind === 'ioredis') {
    const { Redis } = load();
    return new Redis({ sentinels, name, maxRetriesPerRequest: 1, ...protocolOptions() });
  }
  if (nodeRedisMajor === 4) throw new Error('node-redis 4 has no Sentinel client');
  const module = nodeRedis() as unknown as NodeRedisSentinelModule;
  const client = module.createSentinel({ name, sentinelRootNodes: sentinels, RESP: redisProtocol });
  client.on('error', () => undefined);
  await client.connect();
  const close = (client as unknown as { close(): Promise<unknown>; destroy(): Promise<unknown> }).close.bind(client);
  return Object.assign(client, { quit: () => close().catch(() => undefined), disconnect: () => void close().catch(() => undefined) });
}
