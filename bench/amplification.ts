/**
 * Refresh amplification: P processes × C concurrent requests hit a rejected token at once.
 * How many times is the token endpoint called, and does a rotating provider see a reuse?
 */
import axios from 'axios';
import Redis from 'ioredis';
import { attachTokenRefresh, RedisTokenStore } from 'axios-token-flight';
import { startFakeProvider } from 'axios-token-flight/testing';
import { forkScript, nextMessage } from './shared';

export interface AmplificationResult {
  strategy: string;
  tokenEndpointCalls: number;
  reuseDetections: number;
  succeeded: number;
  failed: number;
}

const STRATEGIES = [
  ['axios-token-flight (Redis)', 'plugin'],
  ['axios-auth-refresh 5', 'axios-auth-refresh'],
  ['naive per-process interceptor', 'naive'],
] as const;

export async function amplification(redisUrl: string, processes: number, concurrency: number): Promise<AmplificationResult[]> {
  const results: AmplificationResult[] = [];
  for (const [strategy, mode] of STRATEGIES) {
    const provider = await startFakeProvider({ tokenLatencyMs: 50 });
    const key = `amp-${mode}-${Date.now()}`;
    await seed(redisUrl, mode, key, provider.authorize());
    provider.revokeAccessTokens();
    const workers = Array.from({ length: processes }, () =>
      forkScript('amplification-worker.ts', {
        MODE: mode,
        API_URL: provider.url,
        TOKEN_URL: provider.tokenUrl,
        REDIS_URL: redisUrl,
        KEY: key,
        CONCURRENCY: String(concurrency),
      }),
    );
    await Promise.all(workers.map((w) => nextMessage(w)));
    for (const worker of workers) worker.send('go');
    const outcomes = await Promise.all(workers.map((w) => nextMessage<{ ok: number; failed: number }>(w, (m) => 'ok' in m)));
    results.push({
      strategy,
      tokenEndpointCalls: provider.stats.tokenRequests.length,
      reuseDetections: provider.stats.reuseDetections,
      succeeded: outcomes.reduce((sum, o) => sum + o.ok, 0),
      failed: outcomes.reduce((sum, o) => sum + o.failed, 0),
    });
    await provider.close();
  }
  return results;
}

async function seed(
  redisUrl: string,
  mode: string,
  key: string,
  tokens: { accessToken: string; refreshToken: string; expiresIn: number },
): Promise<void> {
  const redis = new Redis(redisUrl);
  if (mode === 'plugin') {
    const handle = attachTokenRefresh(axios.create(), {
      origins: 'any',
      store: new RedisTokenStore(redis, { prefix: 'bench' }),
      refresh: async () => ({ accessToken: 'unused' }),
    });
    await handle.setToken(tokens, key);
    handle.detach();
  } else {
    await redis.set(`bench-shared:${key}`, JSON.stringify(tokens));
  }
  await redis.quit();
}
