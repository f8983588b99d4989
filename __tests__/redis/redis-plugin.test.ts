import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import axios from 'axios';
import { attachTokenRefresh, RedisTokenStore, StoreUnavailableError } from '../../lib';
import { startApi, type TestApi } from '../helpers/api-server';
import { createRedis, createStoreRedis, matrixLabel } from '../helpers/redis-client';
import { startRedisServer, type RedisServer } from '../../lib/testing';
import { Cleanups, sleep, until } from '../helpers/setup';
import { TokenAuthority } from '../helpers/token-authority';

jest.setTimeout(30_000);

let server: RedisServer;
let api: TestApi;
let authority: TokenAuthority;
const cleanups = new Cleanups();

beforeEach(async () => {
  server = await startRedisServer();
  // Refreshing while Redis is down is only allowed for credentials that do not rotate (decision 0008).
  authority = new TokenAuthority({ rotatesRefreshTokens: false });
  api = await startApi(authority.handler());
});
afterEach(async () => {
  await cleanups.run();
  await api.close();
  await server.stop();
});

function attach(options: { onStoreError?: 'local' | 'fail' } = {}) {
  const redis = createStoreRedis(server.port);
  const store = new RedisTokenStore(redis, { prefix: 'plugin', commandTimeoutMs: 300 });
  const client = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(client, { refresh: authority.refresh, store, ...options });
  const events: string[] = [];
  handle.events.on('store-degraded', () => events.push('degraded'));
  handle.events.on('store-recovered', () => events.push('recovered'));
  cleanups.push(
    () => handle.detach(),
    () => redis.disconnect(),
  );
  return { client, handle, store, redis, events };
}

async function commandsProcessed(port: number): Promise<number> {
  const probe = createRedis(port);
  const info = String(await probe.call('INFO', 'stats'));
  await probe.quit();
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
}

/** Commands the server ran, by name, leaving out what a probe connection itself sends (HELLO, INFO, CLIENT, QUIT). */
async function commandsOtherThanProbes(port: number): Promise<Record<string, number>> {
  const probe = createRedis(port);
  const stats = String(await probe.call('INFO', 'commandstats'));
  await probe.quit();
  const counts: Record<string, number> = {};
  for (const [, name, calls] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (!/^(info|hello|client|quit|select)/.test(name as string)) counts[name as string] = Number(calls);
  }
  return counts;
}

describe(`the plugin on Redis (${matrixLabel})`, () => {
  it('hot path: 200 requests with a valid token make fewer than 0.1 Redis commands per request', async () => {
    const { client } = attach();
    await client.get('/warm');
    const before = await commandsProcessed(server.port);

    await Promise.all(Array.from({ length: 200 }, (_, i) => client.get(`/hot/${i}`)));

    const after = await commandsProcessed(server.port);
    // The two probe connections themselves account for a few commands (HELLO/INFO/QUIT).
    expect((after - before) / 200).toBeLessThan(0.1);
    expect(api.requests).toHaveLength(201);
  });

  it('while the token is valid the store sends nothing at all — no keep-alive either — over 3 s idle', async () => {
    const { client } = attach();
    await client.get('/warm');
    await sleep(200); // the notice subscription is set up
    const before = await commandsOtherThanProbes(server.port);

    await sleep(3_000);
    await client.get('/after-idle');

    expect(await commandsOtherThanProbes(server.port)).toEqual(before);
    expect(api.requests).toHaveLength(2);
  });

  it("a process learns of another process's refresh through the change notice, without being rejected first", async () => {
    const first = attach();
    const second = attach();
    await first.client.get('/warm');
    await second.client.get('/warm');
    await first.handle.invalidate();
    await first.client.get('/refreshes');
    const refreshed = [...authority.accepted].at(-1) as string;

    await sleep(100); // let the notice arrive
    await second.client.get('/uses-new-token');

    expect(api.requests.at(-1)?.authorization).toBe(`Bearer ${refreshed}`);
    expect(authority.refreshCount).toBe(2); // the initial one and the one after invalidate
  });

  it('Redis killed mid-run: requests keep succeeding (store-degraded); restarted: store-recovered and the newer token is written back', async () => {
    const { client, store, events } = attach();
    await client.get('/warm');

    await server.kill();
    authority.revokeAll(); // the provider rejects the cached token while Redis is down
    const during = await Promise.all(Array.from({ length: 20 }, () => client.get('/during')));
    expect(during.every((r) => r.status === 200)).toBe(true);
    expect(events).toEqual(['degraded']);
    expect(authority.refreshCount).toBe(2);

    await server.start();
    await until(() => events.includes('recovered'), 'the store-recovered event', 10_000);
    await sleep(300); // the write-back follows the recovery
    const stored = await store.get('default');
    expect(stored?.accessToken).toBe([...authority.accepted].at(-1));
    expect(events).toEqual(['degraded', 'recovered']);
  });

  it("onStoreError: 'fail' with Redis down → StoreUnavailableError, bounded by commandTimeoutMs", async () => {
    const { client } = attach({ onStoreError: 'fail' });
    await client.get('/warm');
    await server.kill();
    authority.revokeAll();

    const started = Date.now();
    const error = await client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a Redis that stops answering (SIGSTOP) does not hang requests', async () => {
    const { client, events } = attach();
    await client.get('/warm');
    server.pause();
    cleanups.push(() => server.resume());
    authority.revokeAll();

    const started = Date.now();
    const response = await client.get('/x');

    expect(response.status).toBe(200);
    // One command timeout (300 ms) opens the circuit; the rest is served in-process.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(events).toEqual(['degraded']);
  });

  it('detach() and the user quitting their client let the process exit on its own', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'fixtures', 'redis-exit-child.ts')], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, REDIS_PORT: String(server.port) },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);

    expect(output).toBe('detached\n');
    expect(signal).toBeNull(); // not killed by our timeout
    expect(code).toBe(0);
  });
});
