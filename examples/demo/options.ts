/** Command-line options of `npm run demo`. */
export interface DemoOptions {
  workers: number;
  durationSeconds: number;
  concurrency: number;
  tokenTtlSeconds: number;
  propagationMs: number;
  naive: boolean;
  /** Record axios-token-flight's OpenTelemetry metrics in every worker and print them. */
  otel: boolean;
}

export const HELP = `npm run demo -- [options]

A fleet of worker processes calls a LinkedIn-like API whose tokens expire every few seconds and
answer "65601 not propagated yet" for a while after each refresh. The same scenario runs twice:
with axios-token-flight, then with a naive per-process refresh interceptor.

Uses Redis from REDIS_URL, else a throwaway redis-server from PATH, else the memory store in one
process (said so on screen). Exits non-zero if axios-token-flight lost any request.

  --workers N        worker processes (default 4)
  --duration S       seconds each scenario runs (default 10)
  --concurrency N    requests in flight per worker (default 8)
  --token-ttl S      access token lifetime, seconds (default 3)
  --propagation MS   how long a new token is answered 65601 (default 400)
  --no-naive         skip the naive contrast run
  --otel             print the OpenTelemetry metrics of axios-token-flight/otel
  --help             this text
`;

export function parseOptions(argv: readonly string[]): DemoOptions | 'help' {
  const options: DemoOptions = {
    workers: 4,
    durationSeconds: 10,
    concurrency: 8,
    tokenTtlSeconds: 3,
    propagationMs: 400,
    naive: true,
    otel: false,
  };
  const numeric: Record<string, keyof DemoOptions> = {
    '--workers': 'workers',
    '--duration': 'durationSeconds',
    '--concurrency': 'concurrency',
    '--token-ttl': 'tokenTtlSeconds',
    '--propagation': 'propagationMs',
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--no-naive') {
      options.naive = false;
      continue;
    }
    if (arg === '--otel') {
      options.otel = true;
      continue;
    }
    const name = numeric[arg];
    const value = Number(argv[i + 1]);
    if (name === undefined || !Number.isFinite(value) || value < 0 || (name !== 'propagationMs' && value <= 0)) {
      throw new Error(`unknown option or bad value: ${arg} ${argv[i + 1] ?? ''}\n\n${HELP}`);
    }
    (options[name] as number) = value;
    i += 1;
  }
  return options;
}
