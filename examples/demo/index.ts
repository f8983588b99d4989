/**
 * `npm run demo`: the fleet problem and its fix, side by side. See `npm run demo -- --help`.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import axios from 'axios';
import Redis from 'ioredis';
import { attachTokenRefresh, RedisTokenStore } from 'axios-token-flight';
import { startFakeProvider } from 'axios-token-flight/testing';
import { HELP, parseOptions, type DemoOptions } from './options';
import { obtainRedis, type DemoRedis } from './redis';
import { printTable, ProgressLine, summarise, type ScenarioResult } from './report';
import { printMetrics } from './otel-metrics';
import type { WorkerConfig, WorkerCounts, WorkerMessage } from './worker';

async function runScenario(
  name: string,
  mode: WorkerConfig['mode'],
  options: DemoOptions,
  redis: DemoRedis | undefined,
  workers: number,
): Promise<ScenarioResult> {
  const provider = await startFakeProvider({ accessTokenTtlSeconds: options.tokenTtlSeconds, propagationMs: options.propagationMs });
  const key = `linkedin:acct-${mode}`;
  const { refreshToken, expiresIn } = provider.authorize();
  // Start from an access token the API no longer accepts: every worker's first requests are rejected at once.
  const seed = { accessToken: 'expired-access-token', refreshToken, expiresIn };
  if (redis !== undefined) await seedRedis(redis.url, mode, key, seed);

  const progress = new ProgressLine(name, workers);
  const started = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: workers }, (_, index) => {
      const config: WorkerConfig = {
        mode,
        apiUrl: provider.url,
        tokenUrl: provider.tokenUrl,
        key,
        durationMs: options.durationSeconds * 1000,
        concurrency: options.concurrency,
        otel: options.otel,
        ...(redis === undefined ? { seed } : { redisUrl: redis.url }),
      };
      return runWorker(config, (counts) => progress.update(index, counts));
    }),
  );
  progress.finish();
  if (options.otel && mode === 'plugin') printMetrics(outcomes.map((outcome) => outcome.metrics ?? []));
  const result = summarise(name, outcomes, provider.stats, (Date.now() - started) / 1000, options.tokenTtlSeconds);
  await provider.close();
  return result;
}

async function seedRedis(
  url: string,
  mode: WorkerConfig['mode'],
  key: string,
  seed: { accessToken: string; refreshToken: string; expiresIn: number },
): Promise<void> {
  const redis = new Redis(url);
  if (mode === 'naive') {
    await redis.set(`demo-naive:${key}`, JSON.stringify(seed));
  } else {
    const handle = attachTokenRefresh(axios.create(), {
      origins: 'any',
      store: new RedisTokenStore(redis, { prefix: 'demo' }),
      refresh: async () => ({ accessToken: 'unused' }),
    });
    await handle.setToken(seed, key);
    handle.detach();
  }
  await redis.quit();
}

function runWorker(config: WorkerConfig, onProgress: (counts: WorkerCounts) => void): Promise<Extract<WorkerMessage, { type: 'done' }>> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, DEMO_CONFIG: JSON.stringify(config) },
    });
    let done: Extract<WorkerMessage, { type: 'done' }> | undefined;
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message);
      else done = message;
    });
    child.on('exit', (code) => (done === undefined ? reject(new Error(`a demo worker exited with code ${code}`)) : resolve(done)));
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const redis = await obtainRedis();
  const workers = redis === undefined ? 1 : options.workers;
  console.log(
    redis === undefined
      ? 'No REDIS_URL and no redis-server on PATH: running ONE process with the memory store (the cross-process part needs Redis).'
      : `Redis: ${redis.origin}. ${workers} worker processes × ${options.concurrency} requests in flight.`,
  );
  console.log(
    `Tokens live ${options.tokenTtlSeconds} s; a new token is answered 401/65601 for ${options.propagationMs} ms. ${options.durationSeconds} s per scenario.\n`,
  );
  try {
    const results = [await runScenario('axios-token-flight', 'plugin', options, redis, workers)];
    if (options.naive) results.push(await runScenario('naive interceptor', 'naive', options, redis, workers));
    printTable(results);
    const [plugin] = results as [ScenarioResult];
    if (plugin.failed > 0 || plugin.reuseDetections > 0) {
      console.error(`\naxios-token-flight lost ${plugin.failed} request(s) (${plugin.reuseDetections} reuse detections): failing.`);
      process.exitCode = 1;
    }
  } finally {
    await redis?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
