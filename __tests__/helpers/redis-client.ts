/**
 * ioredis client factory for the Redis suites. The matrix is chosen by environment:
 *   IOREDIS_MAJOR=6 (default) | 5     REDIS_PROTOCOL=3 (default with ioredis 6) | 2
 * ioredis 5 speaks RESP2 only.
 */
import type { RedisClientLike } from '../../lib';

interface ClientOptions {
  keyPrefix?: string;
  password?: string;
  maxRetriesPerRequest?: number | null;
}

type RedisConstructor = new (
  options: Record<string, unknown>,
) => RedisClientLike & {
  quit(): Promise<unknown>;
  disconnect(): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
};
type ClusterConstructor = new (
  nodes: Array<{ host: string; port: number }>,
  options: Record<string, unknown>,
) => RedisClientLike & {
  quit(): Promise<unknown>;
  disconnect(): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
};

export const ioredisMajor = process.env['IOREDIS_MAJOR'] === '5' ? 5 : 6;
export const redisProtocol = ioredisMajor === 5 ? 2 : process.env['REDIS_PROTOCOL'] === '2' ? 2 : 3;
export const matrixLabel = `ioredis ${ioredisMajor}, RESP${redisProtocol}`;

function load(): { Redis: RedisConstructor; Cluster: ClusterConstructor } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = (ioredisMajor === 5 ? require('ioredis5') : require('ioredis')) as {
    default: RedisConstructor;
    Cluster: ClusterConstructor;
  };
  return { Redis: module.default, Cluster: module.Cluster };
}

function protocolOptions(): Record<string, unknown> {
  return ioredisMajor === 6 ? { protocol: redisProtocol } : {};
}

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
