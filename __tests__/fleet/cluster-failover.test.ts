/**
 * A real Cluster failover under load: 3 masters with a replica each; the master serving the
 * credential's slot is SIGKILLed and its replica promoted (cluster-node-timeout 2 s), while three
 * worker processes keep calling the API on a rotating credential (helpers/failover.ts). For ioredis
 * and node-redis.
 */
import { startFakeProvider, type FakeProvider } from '../../lib/testing';
import { CLIENTS, expectSurvived, killFailoverWorkers, runFailoverFleet } from '../helpers/failover';
import { seedFleetCredential } from '../helpers/fleet';
import { createCluster } from '../helpers/redis-client';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster';
import { sleep } from '../helpers/setup';

jest.setTimeout(120_000);

let cluster: RedisCluster;
let provider: FakeProvider;

beforeEach(async () => {
  cluster = await startRedisCluster({ replicas: 1 });
  provider = await startFakeProvider({ accessTokenTtlSeconds: 2, tokenLatencyMs: 50 });
}, 60_000);
afterEach(async () => {
  killFailoverWorkers();
  await provider.close();
  await cluster.stop();
});

async function seed(key: string): Promise<void> {
  await seedFleetCredential(createCluster(cluster.ports), provider.authorize(), key);
}

describe.each(CLIENTS)('a Cluster failover under load (%s)', (client, clientEnv) => {
  it("SIGKILL of the credential's master, its replica promoted: 0 reuse, no reauthorization, every failure retryable, traffic back within 10 s", async () => {
    const credential = `cluster-${client}`;
    await seed(credential);
    const tokenKey = `fleet:{${credential}}:token`;
    const masterPort = await cluster.masterPortFor(tokenKey, cluster.ports[0] as number);
    const master = cluster.nodes.find((node) => node.port === masterPort);
    const survivor = cluster.nodes.find((node) => node.port !== masterPort) as (typeof cluster.nodes)[number];

    const outcome = await runFailoverFleet({
      name: `cluster-failover-${client}`,
      provider,
      credential,
      env: { ...clientEnv, REDIS_PORTS: cluster.ports.join(',') },
      fault: async () => {
        await master?.kill();
        const killed = Date.now();
        for (;;) {
          const port = await cluster.masterPortFor(tokenKey, survivor.port);
          if (port !== 0 && port !== masterPort) break;
          await sleep(100);
        }
        return { killed, promoted: Date.now() };
      },
    });

    expect(master).toBeDefined();
    expectSurvived(outcome, provider, { client: clientEnv });
  });
});
