// One hot-path measurement in a fresh process (no JIT cross-talk between variants): warm up,
// then time REQUESTS requests with 16 in flight; report requests/s and CPU µs per request.
import http from 'node:http';
import axios from 'axios';
import Redis from 'ioredis';
import { attachTokenRefresh, MemoryTokenStore, RedisTokenStore } from 'axios-token-flight';
import { throughput } from './shared';

export type HotPathVariant = 'bare' | 'memory' | 'redis' | 'naive';

async function main(): Promise<void> {
  const variant = process.env['VARIANT'] as HotPathVariant;
  const requests = Number(process.env['REQUESTS']);
  const concurrency = 16;
  const client = axios.create({
    baseURL: process.env['API_URL'] ?? '',
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
  });
  const redis = variant === 'redis' || variant === 'naive' ? new Redis(process.env['REDIS_URL'] as string) : undefined;
  let detach = (): void => undefined;
  if (variant === 'memory' || variant === 'redis') {
    const store = redis === undefined ? new MemoryTokenStore() : new RedisTokenStore(redis, { prefix: 'bench' });
    const handle = attachTokenRefresh(client, {
      store,
      key: `hot-${process.pid}`,
      refresh: async () => ({ accessToken: 'bench-token', expiresIn: 3600 }),
    });
    detach = () => handle.detach();
  } else if (variant === 'naive' && redis !== undefined) {
    await redis.set('bench:naive-token', 'bench-token');
    client.interceptors.request.use(async (config) => {
      config.headers.set('Authorization', `Bearer ${await redis.get('bench:naive-token')}`);
      return config;
    });
  }
  await throughput(2_000, concurrency, () => client.get('/warm-up'));
  process.send?.({ warm: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const before = process.cpuUsage();
  const requestsPerSecond = await throughput(requests, concurrency, () => client.get('/resource'));
  const used = process.cpuUsage(before);
  process.send?.({ requestsPerSecond, cpuMicrosPerRequest: (used.user + used.system) / requests });
  detach();
  await redis?.quit();
  process.disconnect();
}

void main();
