/**
 * A real Sentinel deployment on loopback: one master, one replica, three sentinels (quorum 2, a
 * short down-after), each its own redis-server process. Sentinels rewrite their config file, so
 * each gets one in a temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startRedisServer, type RedisServer } from '../../lib/testing';

const run = promisify(execFile);
export const SENTINEL_MASTER_NAME = 'tokens';

export interface RedisSentinelSetup {
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinelPorts: number[];
  /** The port sentinels name as master now. */
  currentMasterPort(): Promise<number>;
  /** `SENTINEL FAILOVER`: promote the replica without waiting for the master to fail. */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Sentinel setup: ${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startRedisSentinel(): Promise<RedisSentinelSetup> {
  const master = await startRedisServer();
  const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atf-sentinel-'));
  const sentinels: ChildProcess[] = [];
  const sentinelPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const config = path.join(dir, `sentinel-${i}.conf`);
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' }));
    sentinelPorts.push(port);
  }
  const currentMasterPort = async (): Promise<number> =>
    Number((await cli(sentinelPorts[0] as number, 'SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)).split('\n')[1]);
  await until(async () => (await cli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'), 'replication');
  for (const port of sentinelPorts) {
    await until(async () => {
      const replicas = await cli(port, 'SENTINEL', 'replicas', SENTINEL_MASTER_NAME);
      const sentinelsSeen = await cli(port, 'SENTINEL', 'sentinels', SENTINEL_MASTER_NAME);
      return replicas.includes(String(replica.port)) && sentinelsSeen.split('\n').filter((line) => line === 'runid').length === 2;
    }, `sentinel ${port} to see the replica and the other sentinels`);
  }
  return {
    master,
    replica,
    sentinelPorts,
    currentMasterPort,
    failover: async () => void (await cli(sentinelPorts[0] as number, 'SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME)),
    stop: async () => {
      for (const sentinel of sentinels) sentinel.kill('SIGKILL');
      await Promise.all([master.stop(), replica.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
