import { execFileSync } from 'node:child_process';
import { startRedisServer } from 'axios-token-flight/testing';

export interface DemoRedis {
  readonly url: string;
  readonly origin: string;
  stop(): Promise<void>;
}

/** REDIS_URL if set, else a throwaway redis-server from PATH, else nothing (memory mode). */
export async function obtainRedis(): Promise<DemoRedis | undefined> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, origin: 'REDIS_URL', stop: async () => undefined };
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const server = await startRedisServer();
  return { url: server.url, origin: `a throwaway redis-server on port ${server.port}`, stop: () => server.stop() };
}
