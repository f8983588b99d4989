/**
 * Hot path: requests/s with a valid token. Each variant runs in a fresh process per round (as an
 * application would run one configuration), rounds interleaved with the order rotated; medians.
 * bare axios · plugin + MemoryTokenStore · plugin + RedisTokenStore · a naive interceptor that
 * GETs the token from Redis on every request.
 */
import Redis from 'ioredis';
import type { HotPathVariant } from './hot-path-worker';
import { forkScript, median, nextMessage } from './shared';

export interface HotPathResult {
  variant: string;
  requestsPerSecond: number;
  ratioToBare: number;
  /** The client process's CPU time per request (user + system). */
  cpuMicrosPerRequest: number;
  cpuRatioToBare: number;
  redisCommandsPerRequest: number | null;
}

const VARIANTS: Array<[HotPathVariant, string]> = [
  ['bare', 'bare axios'],
  ['memory', 'plugin, memory store'],
  ['redis', 'plugin, Redis store'],
  ['naive', 'naive: Redis GET per request'],
];

export async function hotPath(redisUrl: string, quick: boolean): Promise<HotPathResult[]> {
  const server = forkScript('echo-server.ts');
  const { port } = await nextMessage<{ port: number }>(server);
  const probe = new Redis(redisUrl);
  const requests = quick ? 2_000 : 8_000;
  const rounds = quick ? 1 : 7;
  const samples = new Map(VARIANTS.map(([variant]) => [variant, { rps: [] as number[], cpu: [] as number[], commands: 0 }]));

  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < VARIANTS.length; i += 1) {
      const [variant] = VARIANTS[(i + round) % VARIANTS.length] as [HotPathVariant, string];
      const worker = forkScript('hot-path-worker.ts', {
        VARIANT: variant,
        REQUESTS: String(requests),
        API_URL: `http://127.0.0.1:${port}`,
        REDIS_URL: redisUrl,
      });
      await nextMessage(worker);
      const before = await commandsProcessed(probe);
      worker.send('go');
      const result = await nextMessage<{ requestsPerSecond: number; cpuMicrosPerRequest: number }>(worker, (m) => 'requestsPerSecond' in m);
      const sample = samples.get(variant) as { rps: number[]; cpu: number[]; commands: number };
      sample.rps.push(result.requestsPerSecond);
      sample.cpu.push(result.cpuMicrosPerRequest);
      sample.commands += (await commandsProcessed(probe)) - before - 1;
    }
  }
  server.disconnect();
  await probe.quit();

  const bare = samples.get('bare') as { rps: number[]; cpu: number[] };
  const bareRps = median(bare.rps);
  const bareCpu = median(bare.cpu);
  return VARIANTS.map(([variant, label]) => {
    const sample = samples.get(variant) as { rps: number[]; cpu: number[]; commands: number };
    const usesRedis = variant === 'redis' || variant === 'naive';
    return {
      variant: label,
      requestsPerSecond: median(sample.rps),
      ratioToBare: median(sample.rps) / bareRps,
      cpuMicrosPerRequest: median(sample.cpu),
      cpuRatioToBare: median(sample.cpu) / bareCpu,
      // The measured window holds only the timed requests (warm-up ran before the first INFO).
      redisCommandsPerRequest: usesRedis ? Math.max(0, sample.commands) / (requests * rounds) : null,
    };
  });
}

async function commandsProcessed(probe: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await probe.info('stats'))?.[1]);
}
