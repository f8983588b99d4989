/**
 * One process of the demo fleet. Fires requests for the configured duration, reports progress to
 * the parent over IPC every 250 ms, then its latencies and outcomes.
 */
import axios, { type AxiosInstance } from 'axios';
import Redis from 'ioredis';
import {
  attachTokenRefresh,
  matchers,
  MemoryTokenStore,
  oauth2,
  RedisTokenStore,
  TokenFlightError,
  type TokenInput,
} from 'axios-token-flight';
import { attachNaiveRefresh, type NaiveCounters, type SharedTokens } from './naive-interceptor';
import { type MetricLine, recordTokenFlightMetrics } from './otel-metrics';

export interface WorkerConfig {
  mode: 'plugin' | 'naive';
  apiUrl: string;
  tokenUrl: string;
  redisUrl?: string;
  key: string;
  /** Memory mode: the worker seeds its own store. */
  seed?: TokenInput & { refreshToken: string };
  durationMs: number;
  concurrency: number;
  /** Record the OpenTelemetry metrics and send them with the result. */
  otel?: boolean;
}

export interface WorkerCounts {
  sent: number;
  ok: number;
  failed: number;
  refreshes: number;
  replays: number;
  waits: number;
}

export type WorkerMessage =
  | ({ type: 'progress' } & WorkerCounts)
  | ({ type: 'done'; latencies: number[]; errors: Record<string, number>; metrics?: MetricLine[] } & WorkerCounts);

async function main(): Promise<void> {
  const config = JSON.parse(process.env['DEMO_CONFIG'] as string) as WorkerConfig;
  const redis = config.redisUrl === undefined ? undefined : new Redis(config.redisUrl);
  const api = axios.create({ baseURL: `${config.apiUrl}/linkedin` });
  const counts: WorkerCounts = { sent: 0, ok: 0, failed: 0, refreshes: 0, replays: 0, waits: 0 };
  const otel = config.otel === true && config.mode === 'plugin' ? recordTokenFlightMetrics() : undefined;
  const close = config.mode === 'plugin' ? await withPlugin(api, config, redis, counts) : withNaive(api, config, redis, counts);

  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const deadline = Date.now() + config.durationMs;
  const report = setInterval(() => process.send?.({ type: 'progress', ...counts } satisfies WorkerMessage), 250);
  const loop = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const started = performance.now();
      counts.sent += 1;
      try {
        await api.get('/rest/posts');
        counts.ok += 1;
      } catch (error) {
        counts.failed += 1;
        const label =
          error instanceof TokenFlightError
            ? error.name
            : axios.isAxiosError(error)
              ? `HTTP ${error.response?.status ?? error.code}`
              : String(error);
        errors[label] = (errors[label] ?? 0) + 1;
      }
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, loop));
  clearInterval(report);
  close();
  await redis?.quit();
  const metrics = await otel?.collect();
  process.send?.(
    { type: 'done', ...counts, latencies, errors, ...(metrics === undefined ? {} : { metrics }) } satisfies WorkerMessage,
    () => process.disconnect(),
  );
}

async function withPlugin(api: AxiosInstance, config: WorkerConfig, redis: Redis | undefined, counts: WorkerCounts): Promise<() => void> {
  const handle = attachTokenRefresh(api, {
    store: redis === undefined ? new MemoryTokenStore() : new RedisTokenStore(redis, { prefix: 'demo' }),
    key: config.key,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: config.tokenUrl, clientId: 'demo', clientSecret: 'demo-secret' }),
    matchers: [matchers.linkedin(), matchers.unauthorized()],
    refreshSkewMs: 300,
    propagation: { backoffMs: { initial: 100, max: 1_000 }, maxWaits: 8 },
  });
  if (config.seed !== undefined) await handle.setToken(config.seed, config.key);
  const sync = setInterval(() => {
    const stats = handle.stats();
    Object.assign(counts, { refreshes: stats.refreshes, replays: stats.replays, waits: stats.propagationWaits });
  }, 100);
  return () => {
    clearInterval(sync);
    const stats = handle.stats();
    Object.assign(counts, { refreshes: stats.refreshes, replays: stats.replays, waits: stats.propagationWaits });
    handle.detach();
  };
}

function withNaive(api: AxiosInstance, config: WorkerConfig, redis: Redis | undefined, counts: WorkerCounts): () => void {
  let local = config.seed;
  const redisKey = `demo-naive:${config.key}`;
  const shared: SharedTokens =
    redis === undefined
      ? {
          read: async () => local as NonNullable<typeof local>,
          write: async (tokens) => {
            local = { ...tokens };
          },
        }
      : {
          read: async () => JSON.parse((await redis.get(redisKey)) ?? '{}'),
          write: async (tokens) => void (await redis.set(redisKey, JSON.stringify(tokens))),
        };
  const naive: NaiveCounters = { refreshes: 0, retries: 0 };
  attachNaiveRefresh(api, shared, config.tokenUrl, naive);
  const sync = setInterval(() => Object.assign(counts, { refreshes: naive.refreshes, replays: naive.retries }), 100);
  return () => {
    clearInterval(sync);
    Object.assign(counts, { refreshes: naive.refreshes, replays: naive.retries });
  };
}

void main();
