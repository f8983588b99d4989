/**
 * `npm run test:soak [-- --requests 10000 --processes 4 --seconds 20]`
 *
 * N requests across P processes on one rotating credential whose tokens expire every 2 s and
 * are answered 401/65601 for 300 ms after each refresh. Passes when: 0 failures, refreshes equal
 * to the token epochs (±1), 0 refresh-token reuse, and every process's heap after the run within
 * 10 % of its heap after warm-up (no per-request leak). Prints the table either way.
 */
import axios from 'axios';
import { attachTokenRefresh, RedisTokenStore } from '../../lib';
import { startFakeProvider, startRedisServer } from '../../lib/testing';
import { formatReport, runScenario } from '../helpers/fleet';
import { createRedis } from '../helpers/redis-client';

const TOKEN_TTL_MS = 2_000;
const SKEW_MS = 300;
const PROPAGATION_MS = 300;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

async function main(): Promise<void> {
  const requests = option('requests', 10_000);
  const processes = option('processes', 4);
  const seconds = option('seconds', 20);
  const redis = await startRedisServer();
  const provider = await startFakeProvider({
    accessTokenTtlSeconds: TOKEN_TTL_MS / 1000,
    propagationMs: PROPAGATION_MS,
    tokenLatencyMs: 20,
  });
  try {
    const client = createRedis(redis.port);
    const seeder = attachTokenRefresh(axios.create(), {
      origins: 'any',
      store: new RedisTokenStore(client, { prefix: 'fleet' }),
      refresh: async () => ({ accessToken: 'unused' }),
    });
    await seeder.setToken(provider.authorize(), 'soak');
    seeder.detach();
    await client.quit();

    const perWorker = Math.ceil(requests / processes);
    const report = await runScenario({
      scenario: `soak: ${perWorker * processes} requests, ${processes} processes, ${seconds} s`,
      workers: processes,
      requestsPerWorker: perWorker,
      env: {
        REDIS_PORTS: String(redis.port),
        PROVIDER_URL: `${provider.url}/linkedin`,
        TOKEN_URL: provider.tokenUrl,
        CREDENTIAL: 'soak',
        API_PATH: '/rest/item',
        CONCURRENCY: '8',
        RATE: String(perWorker / seconds),
        REFRESH_SKEW_MS: String(SKEW_MS),
      },
      providerStats: () => provider.stats,
    });

    // A token lives until it is due: lifetime minus the skew, which jitter shortens by up to 20 %.
    // Requests drive refreshes, and they are paced over `seconds`: a straggler that finishes later
    // (a replay after a propagation wait on a loaded machine) lengthens the run, not the traffic,
    // so the lower bound counts the paced window only.
    const runMs = report.durationMs;
    const epochsLow = Math.floor(Math.min(runMs, seconds * 1000) / (TOKEN_TTL_MS - 0.8 * SKEW_MS)) - 1;
    const epochsHigh = Math.ceil(runMs / (TOKEN_TTL_MS - SKEW_MS)) + 1;
    const heapGrowth = report.heap.map((h) => (h.afterRun - h.afterWarmUp) / h.afterWarmUp);
    const checks: Array<[string, boolean]> = [
      ['0 failures', report.failed === 0 && report.workersCrashed === 0],
      [
        `refreshes ${report.refreshes} within token epochs [${epochsLow}, ${epochsHigh}]`,
        report.refreshes >= epochsLow && report.refreshes <= epochsHigh,
      ],
      ['0 refresh-token reuse', report.reuseDetections === 0],
      [
        `heap growth per process ${heapGrowth.map((g) => `${(g * 100).toFixed(1)} %`).join(', ')} ≤ 10 %`,
        heapGrowth.length === processes && heapGrowth.every((g) => g <= 0.1),
      ],
    ];
    console.log(`\n${formatReport(report)}`);
    console.log(`run ${(runMs / 1000).toFixed(1)} s; API answers ${JSON.stringify(provider.stats.apiRequestsByOutcome)}`);
    console.log('\n| heap after warm-up | heap after run | growth |\n|---:|---:|---:|');
    for (const h of report.heap)
      console.log(
        `| ${(h.afterWarmUp / 2 ** 20).toFixed(1)} MiB | ${(h.afterRun / 2 ** 20).toFixed(1)} MiB | ${(((h.afterRun - h.afterWarmUp) / h.afterWarmUp) * 100).toFixed(1)} % |`,
      );
    console.log('');
    for (const [label, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${label}`);
    const passed = checks.filter(([, ok]) => ok).length;
    console.log(`soak: ${passed} passed, ${checks.length - passed} failed`);
    if (passed !== checks.length) process.exitCode = 1;
  } finally {
    await provider.close();
    await redis.stop();
  }
}

void main();
