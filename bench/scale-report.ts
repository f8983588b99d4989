/** Runs the scale measurements and renders the "Scale" section of docs/benchmarks.md (with its charts). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { writeLineChart } from './charts';
import { fleetWaiters } from './fleet-waiters';
import { fleetWaitersSection, WAITER_GOALS } from './fleet-waiters-report';
import { verdict } from './shared';
import { heapPerCredential, heapWhileTouching, redisMemory, roundTrips, waiters, wave } from './scale';

const GOALS = { bytesPerCredential: 400 };

export interface ClusterTarget {
  readonly ports: number[];
}

export interface ScaleOptions {
  readonly quick: boolean;
  readonly chartsDir: string;
  /** Re-measure only these parts; the others come from the last full run's saved results. */
  readonly only?: readonly string[] | undefined;
}

export async function scaleSection(redisUrl: string, cluster: ClusterTarget | undefined, options: ScaleOptions): Promise<string> {
  const { quick, chartsDir } = options;
  const log = (what: string): void => console.log(`scale: ${what}`);
  const resultsFile = path.join(chartsDir, 'scale-results.json');
  const saved =
    options.only !== undefined && existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>) : {};
  const part = async <T>(name: string, measure: () => Promise<T>): Promise<T> => {
    if (options.only !== undefined && !options.only.includes(name) && name in saved) return saved[name] as T;
    log(name);
    const result = await measure();
    console.table(Array.isArray(result) ? result.slice(-4) : [result]);
    return result;
  };
  const heap = await part('heap', () => heapPerCredential(quick ? [2_000] : [10_000, 100_000]));
  const curve = await part('curve', () => heapWhileTouching(quick ? 30_000 : 1_000_000));
  const memory = await part('memory', () => redisMemory(redisUrl, quick ? 200 : 2_000));
  const trips = await part('trips', async () => {
    const measured = await roundTrips(() => new Redis(redisUrl), 'single node');
    if (cluster !== undefined) measured.push(...(await roundTrips(() => clusterClient(cluster), 'cluster')));
    return measured;
  });
  const waiting = await part('fleetWaiters', () =>
    fleetWaiters(redisUrl, quick ? [1, 8] : [1, 8, 32, 64], quick ? 2 : 10, ['ioredis', 'node-redis']),
  );
  const clusterWaiting = await part('clusterWaiters', () =>
    cluster === undefined ? Promise.resolve([]) : waiters(() => clusterClient(cluster), quick ? [8] : [8, 32], quick ? 2 : 5),
  );
  const surge = await part('wave', () => wave(quick ? 500 : 10_000, quick ? 8 : 30));
  mkdirSync(chartsDir, { recursive: true });
  if (!quick)
    writeFileSync(
      resultsFile,
      `${JSON.stringify({ heap, curve, memory, trips, fleetWaiters: waiting, clusterWaiters: clusterWaiting, wave: surge }, null, 1)}\n`,
    );

  mkdirSync(chartsDir, { recursive: true });
  await writeLineChart(path.join(chartsDir, 'scale-heap.svg'), {
    title: 'Heap above baseline while distinct tenants are touched (maxCachedTokens 10 000)',
    x: { field: 'touched', title: 'distinct tenants touched' },
    y: { field: 'heapMiB', title: 'heap MiB above baseline (after GC)' },
    values: curve,
  });
  await writeLineChart(path.join(chartsDir, 'scale-waiters.svg'), {
    title: 'Redis commands per refresh, by waiting processes',
    x: { field: 'processes', title: 'separate processes waiting on one refresh (P)' },
    y: { field: 'commands', title: 'Redis commands' },
    series: 'series',
    values: [
      ...waiting.map((w) => ({ processes: w.processes, commands: w.commandsPerRefresh, series: w.client })),
      ...waiting
        .filter((w) => w.client === 'ioredis')
        .map((w) => ({ processes: w.processes, commands: w.processes + WAITER_GOALS.commandsOverP, series: 'goal P + 5' })),
    ],
  });
  await writeLineChart(path.join(chartsDir, 'scale-wakeup.svg'), {
    title: 'Median waiter wake-up after the holder refreshed, and the computed limit',
    x: { field: 'processes', title: 'separate processes waiting (P)' },
    y: { field: 'ms', title: 'ms' },
    series: 'series',
    values: waiting.flatMap((w) => [
      { processes: w.processes, ms: w.wakeMedianMs, series: `${w.client} median` },
      { processes: w.processes, ms: w.limitMs, series: `${w.client} limit` },
    ]),
    goal: { value: WAITER_GOALS.wakeMedianMs, label: 'goal at P = 8: median ≤ 5 ms' },
  });

  const cap = curve.at(-1);
  const atCap = curve.find((s) => s.touched >= 10_000) ?? curve[0];
  const lines = [
    '## Scale: many credentials, many processes',
    '',
    `\`npm run bench -- --scale\`${quick ? ' (quick mode: smaller sizes)' : ''}. Each figure next to its anchor, measured in the same run.`,
    '',
    '### Heap per cached credential',
    '',
    "Each size in a fresh process (`--expose-gc`, heap after GC). The store synthesises a new token set per read (40-byte access and refresh tokens, as a Redis store decodes one) and keeps nothing, so the heap is the plugin's. Anchor: the same decoded token sets in a bare `Map` — what any cache of them costs at least.",
    '',
    '| credentials | plugin bytes / credential | anchor: bare `Map` | plugin − anchor |',
    '|---:|---:|---:|---:|',
    ...heap.map(
      (h) =>
        `| ${h.credentials.toLocaleString('en')} | **${h.pluginBytes.toFixed(0)}** | ${h.anchorBytes.toFixed(0)} | ${(h.pluginBytes - h.anchorBytes).toFixed(0)} |`,
    ),
    '',
    `Goal ≤ ${GOALS.bytesPerCredential} B per credential: ${verdict(heap.every((h) => h.pluginBytes <= GOALS.bytesPerCredential))}. ` +
      'The goal is below the anchor itself: the decoded token set (two 40-character strings, the object) and its `Map` slot are ~590 B before the plugin keeps anything. What the plugin adds (~210 B) is its cache entry (token set, due time, two flags; ~40 B), its own `Map` slot and key (~60 B), and what it remembers per credential to redact and guard tokens — a `Map` slot with the exact-size array of its two token strings (~70 B, down from ~140 B with a push-grown array), and one slot in the access-token lookup the send guard uses for copied headers (~40 B). Going lower means not keeping the redaction secrets for the current token separately from the cache entry; left for a later release.',
    '',
    `![heap while touching tenants](benchmarks/scale-heap.svg)`,
    '',
    `Touching ${curve.at(-1)?.touched.toLocaleString('en')} distinct tenants, one request each, with the default \`maxCachedTokens\` (10 000): heap above baseline ${atCap?.heapMiB.toFixed(1)} MiB at ${atCap?.touched.toLocaleString('en')} tenants, ${cap?.heapMiB.toFixed(1)} MiB at the end, ${cap?.cached.toLocaleString('en')} credentials held. Goal: flat after the cap — ${verdict(cap !== undefined && atCap !== undefined && cap.heapMiB <= atCap.heapMiB * 1.25 + 1)}.`,
    '',
    '### Redis memory per stored credential',
    '',
    "`MEMORY USAGE key SAMPLES 0` averaged over the credentials (token hash: version field + value). Anchor: the token set's JSON length.",
    '',
    '| value | Redis bytes / credential | JSON bytes |',
    '|---|---:|---:|',
    ...memory.map((m) => `| ${m.variant} | **${m.bytesPerCredential.toFixed(0)}** | ${m.jsonBytes.toFixed(0)} |`),
    '',
    '### Store round trips',
    '',
    'Commands the store sent for one request (counted on the client).',
    '',
    '| case | commands | which |',
    '|---|---:|---|',
    ...trips.map((t) => `| ${t.case} | **${t.commands}** | ${t.detail} |`),
    '',
    `Goal: exactly 1 for a tenant valid in Redis and after eviction — ${verdict(trips.filter((t) => !t.case.includes('cached')).every((t) => t.commands === 1))}.`,
    '',
    ...fleetWaitersSection(waiting, { rounds: quick ? 2 : 10, cores: os.availableParallelism() }),
    ...(clusterWaiting.length === 0
      ? []
      : [
          '',
          '**On the 3-master Cluster** (keys spread over slots by their `{key}` hash tag; the token, lock and failure keys of one credential share a slot, so no script is cross-slot):',
          '',
          '| P | commands per refresh | mix (last round) | wake-up median | p99 |',
          '|---:|---:|---|---:|---:|',
          ...clusterWaiting.map(
            (w) =>
              `| ${w.processes} | **${w.commandsPerRefresh}** | ${w.commandMix} | ${w.wakeMedianMs.toFixed(2)} ms | ${w.wakeP99Ms.toFixed(2)} ms |`,
          ),
          '',
          'What differs: `PUBLISH` in a Cluster is broadcast over the cluster bus to every node, so each notice costs every master a message, and subscribers may be connected to any node; the command count per refresh is the same as on one node.',
        ]),
    '',
    `### A wave of ${surge.credentials.toLocaleString('en')} credentials coming due together`,
    '',
    `${surge.credentials.toLocaleString('en')} tokens issued at once with a ${surge.lifetimeSeconds} s lifetime (so they come due within the same ${surge.lifetimeSeconds / 4} s: the refresh skew is capped at half the lifetime, jittered), every tenant used about every ${surge.intervalMs} ms, all in one process; the token endpoint takes 5 ms. \`maxConcurrentRefreshes\` = ${surge.maxConcurrentRefreshes} (default).`,
    '',
    '| refreshes | peak token-endpoint concurrency | requests | sent with an expired token | tightest refresh before expiry |',
    '|---:|---:|---:|---:|---:|',
    `| ${surge.refreshed.toLocaleString('en')} | **${surge.peakConcurrency}** | ${surge.requests.toLocaleString('en')} | **${surge.expiredSends}** | ${(surge.lastRefreshBeforeExpiryMs / 1000).toFixed(1)} s |`,
    '',
    `Goals: concurrency ≤ ${surge.maxConcurrentRefreshes} — ${verdict(surge.peakConcurrency <= surge.maxConcurrentRefreshes)}; every credential refreshed before expiry — ${verdict(surge.refreshed >= surge.credentials && surge.lastRefreshBeforeExpiryMs > 0)}; 0 requests with an expired token — ${verdict(surge.expiredSends === 0)}.`,
    '',
  ];
  return lines.join('\n');
}

function clusterClient(cluster: ClusterTarget): Cluster {
  return new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
}
