import { seedFleetCredential, spawnWorker, type FleetWorker } from '../helpers/fleet';
import { createStoreCluster, createStoreRedis, matrixLabel } from '../helpers/redis-client';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster';
import { startRedisServer, type RedisServer } from '../../lib/testing';
import { startFakeProvider, type FakeProvider } from '../../lib/testing';

jest.setTimeout(60_000);

let server: RedisServer;
let cluster: RedisCluster;
let provider: FakeProvider;
let workers: FleetWorker[] = [];
let credential = 0;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([server.stop(), cluster.stop()]);
});
beforeEach(async () => {
  provider = await startFakeProvider({ tokenLatencyMs: 100 });
});
afterEach(async () => {
  for (const worker of workers) worker.process.kill('SIGKILL');
  workers = [];
  await provider.close();
});

/** Seeds the credential in the shared store, as the authorization-code exchange would have. */
async function seed(ports: number[], key: string): Promise<void> {
  const redis = ports.length > 1 ? await createStoreCluster(ports) : createStoreRedis(ports[0] as number);
  const { accessToken, refreshToken, expiresIn } = provider.authorize();
  await seedFleetCredential(redis, { accessToken, refreshToken, expiresIn }, key);
  provider.revokeAccessTokens(); // the provider now rejects the token every process holds
}

async function startFleet(
  ports: number[],
  count: number,
  requests: number,
  extraEnv: Record<string, string> = {},
  workerEnv: (index: number) => Record<string, string> = () => ({}),
): Promise<FleetWorker[]> {
  const key = `acct-${(credential += 1)}`;
  await seed(ports, key);
  workers = Array.from({ length: count }, (_, i) =>
    spawnWorker(`w${i}`, {
      REDIS_PORTS: ports.join(','),
      PROVIDER_URL: provider.url,
      TOKEN_URL: provider.tokenUrl,
      CREDENTIAL: key,
      REQUESTS: String(requests),
      ...extraEnv,
      ...workerEnv(i),
    }),
  );
  await Promise.all(workers.map((w) => w.ready));
  return workers;
}

describe(`a fleet of processes on one rotating credential (${matrixLabel})`, () => {
  it.each([
    ['a single Redis', () => [server.port]],
    ['a 3-master Redis Cluster', () => cluster.ports],
  ])('4 processes × 25 concurrent rejected requests on %s → exactly 1 refresh, 0 reuse, 100 successes', async (_name, ports) => {
    const fleet = await startFleet(ports(), 4, 25);

    for (const worker of fleet) worker.go();
    const results = await Promise.all(fleet.map((w) => w.result));

    expect(results.map((r) => r?.errors)).toEqual([[], [], [], []]);
    expect(results.reduce((sum, r) => sum + (r?.succeeded ?? 0), 0)).toBe(100);
    expect(provider.stats.refreshes).toBe(1);
    expect(provider.stats.reuseDetections).toBe(0);
    expect(provider.stats.tokenRequests).toHaveLength(1);
    expect(results.reduce((sum, r) => sum + (r?.stats.refreshes ?? 0), 0)).toBe(1);
    expect(provider.stats.apiRequestsByStatus).toEqual({ 401: 100, 200: 100 });
  });

  it('another process completes within lockTtl + 2 s when the lock holder is SIGKILLed while its refresh hangs', async () => {
    const lockTtlMs = 3_000;
    provider.setBehaviour({ tokenFault: 'timeout', tokenFaultCount: 1 });
    const fleet = await startFleet([server.port], 3, 5, { LOCK_TTL_MS: String(lockTtlMs), REFRESH_TIMEOUT_MS: '2500' });

    for (const worker of fleet) worker.go();
    while (provider.stats.tokenRequests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const holder = fleet.find((w) => w.id === provider.stats.tokenRequests[0]?.['worker']) as FleetWorker;
    holder.process.kill('SIGKILL');
    const killedAt = Date.now();

    const survivors = fleet.filter((w) => w !== holder);
    const results = await Promise.all(survivors.map((w) => w.result));
    const elapsed = Date.now() - killedAt;

    expect(await holder.result).toBeUndefined(); // it died without reporting
    expect(results.map((r) => r?.succeeded)).toEqual([5, 5]);
    expect(elapsed).toBeLessThan(lockTtlMs + 2_000);
    expect(provider.stats.refreshes).toBe(1);
    expect(provider.stats.reuseDetections).toBe(0);
  });

  /** Each worker's Redis client: the four majors of both clients in one fleet. */
  const MIXED: ReadonlyArray<Record<string, string>> = [
    { REDIS_CLIENT: 'ioredis', IOREDIS_MAJOR: '6' },
    { REDIS_CLIENT: 'node-redis', NODE_REDIS_MAJOR: '6' },
    { REDIS_CLIENT: 'ioredis', IOREDIS_MAJOR: '5' },
    { REDIS_CLIENT: 'node-redis', NODE_REDIS_MAJOR: '4' },
  ];

  it.each([
    ['a single Redis', () => [server.port]],
    ['a 3-master Redis Cluster', () => cluster.ports],
  ])(
    'a mixed fleet — ioredis 6 and 5, node-redis 6 and 4 — × 50 concurrent rejected requests on %s → exactly 1 refresh, 0 reuse',
    async (_name, ports) => {
      const fleet = await startFleet(ports(), 4, 50, {}, (i) => ({ ...(MIXED[i] as Record<string, string>), REDIS_PROTOCOL: '' }));

      for (const worker of fleet) worker.go();
      const results = await Promise.all(fleet.map((w) => w.result));

      expect(results.map((r) => r?.errors)).toEqual([[], [], [], []]);
      expect(results.map((r) => r?.client.split(',')[0])).toEqual(['ioredis 6', 'node-redis 6', 'ioredis 5', 'node-redis 4']);
      expect(results.map((r) => r?.succeeded)).toEqual([50, 50, 50, 50]);
      expect(provider.stats.tokenRequests).toHaveLength(1);
      expect(provider.stats.reuseDetections).toBe(0);
      expect(provider.stats.apiRequestsByStatus).toEqual({ 401: 200, 200: 200 });
    },
  );
});
