/** Median delay from the lock holder's token write to a waiting process resuming its request. */
import axios from 'axios';
import Redis from 'ioredis';
import { attachTokenRefresh, RedisTokenStore } from 'axios-token-flight';
import { forkScript, median, nextMessage } from './shared';

export interface WakeupResult {
  iterations: number;
  medianMs: number;
  p90Ms: number;
}

export async function wakeup(redisUrl: string, iterations: number): Promise<WakeupResult> {
  const server = forkScript('echo-server.ts', { REJECT: 'Bearer stale' });
  const { port } = await nextMessage<{ port: number }>(server);
  const env = { REDIS_URL: redisUrl, API_URL: `http://127.0.0.1:${port}` };
  const holder = forkScript('wakeup-worker.ts', { ...env, ROLE: 'holder' });
  const waiter = forkScript('wakeup-worker.ts', { ...env, ROLE: 'waiter' });
  await Promise.all([nextMessage(holder), nextMessage(waiter)]);

  const redis = new Redis(redisUrl);
  const seeder = attachTokenRefresh(axios.create(), {
    origins: 'any',
    store: new RedisTokenStore(redis, { prefix: 'wakeup' }),
    refresh: async () => ({ accessToken: 'unused' }),
  });
  const delays: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const key = `wake-${Date.now()}-${i}`;
    await seeder.setToken({ accessToken: 'stale', expiresIn: 3600 }, key);
    const holderLocked = nextMessage<{ locked?: true }>(holder, (message) => message.locked === true);
    const holderDone = nextMessage<{ at: number; locked?: true; error?: string }>(holder, (message) => message.locked !== true);
    holder.send({ key });
    // Start the waiter only once the holder is inside its refresh (so it holds the lock); a fixed
    // pause raced under load and let the waiter refresh first.
    await Promise.race([holderLocked, holderDone]);
    const waiterDone = nextMessage<{ at: number; unexpectedRefreshes: number; error?: string }>(waiter);
    waiter.send({ key });
    const [h, w] = await Promise.all([holderDone, waiterDone]);
    if (h.error !== undefined || w.error !== undefined || w.unexpectedRefreshes > 0)
      throw new Error(`wake-up iteration failed: ${h.error ?? w.error ?? 'the waiter refreshed'}`);
    delays.push(w.at - h.at);
  }
  seeder.detach();
  for (const child of [holder, waiter]) child.send('stop');
  server.disconnect();
  await redis.quit();
  const sorted = [...delays].sort((a, b) => a - b);
  return { iterations, medianMs: median(delays), p90Ms: sorted[Math.floor(sorted.length * 0.9)] as number };
}
