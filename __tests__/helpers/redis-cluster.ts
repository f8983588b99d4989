import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedisServer, type RedisServer } from '../../lib/testing';

const run = promisify(execFile);

export interface RedisCluster {
  readonly ports: number[];
  /** Every node (with `replicas: 1`, which ones are masters is up to `redis-cli --cluster create`: ask `masterPortFor`). */
  readonly nodes: RedisServer[];
  /** The port of the master serving `key`'s slot, as `askPort`'s node sees the cluster now. */
  masterPortFor(key: string, askPort: number): Promise<number>;
  stop(): Promise<void>;
}

const cli = async (port: number, ...args: string[]): Promise<string> => (await run('redis-cli', ['-p', String(port), ...args])).stdout;

/**
 * Three masters (and, with `replicas: 1`, a replica each) on free ports, joined with
 * `redis-cli --cluster create`, waited for until cluster_state:ok (and every replica in sync).
 */
export async function startRedisCluster(options: { replicas?: 0 | 1 } = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const nodes: RedisServer[] = [];
  for (let i = 0; i < 3 * (1 + replicas); i += 1) {
    nodes.push(
      await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000']),
    );
  }
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes']);
  const deadline = Date.now() + 20_000;
  for (const node of nodes) {
    for (;;) {
      const info = await cli(node.port, 'cluster', 'info');
      const replication = await cli(node.port, 'info', 'replication');
      if (info.includes('cluster_state:ok') && (!replication.includes('role:slave') || replication.includes('master_link_status:up')))
        break;
      if (Date.now() > deadline) throw new Error('Redis Cluster did not reach cluster_state:ok within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    ports: nodes.map((n) => n.port),
    nodes,
    masterPortFor: async (key, askPort) => {
      const slot = Number((await cli(askPort, 'cluster', 'keyslot', key)).trim());
      for (const line of (await cli(askPort, 'cluster', 'nodes')).split('\n')) {
        const [, address, flags, , , , , state, ...ranges] = line.split(' ');
        if (!flags?.includes('master') || flags.includes('fail') || state !== 'connected') continue;
        const serves = ranges.some((range) => {
          const [from, to = from] = range.split('-').map(Number);
          return slot >= (from as number) && slot <= (to as number);
        });
        if (serves) return Number(address?.split(':')[1]?.split('@')[0]);
      }
      return 0;
    },
    stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))),
  };
}
