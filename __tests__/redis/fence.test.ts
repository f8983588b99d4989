/**
 * The fenced write, seen from the fleet: a process that pauses (a long GC, a stopped container)
 * between the provider's answer and its write must not overwrite what the fleet wrote while its
 * lock had lapsed. Each handle has its own ioredis client on one real redis-server, as separate
 * processes would; process A's compareAndSet reaches Redis only when the test lets it — the pause
 * — and the Lua script (lock owner and version checks) decides.
 */
import axios from 'axios';
import { attachTokenRefresh, oauth2, RedisTokenStore, type TokenRefreshHandle, type TokenStore } from '../../lib';
import { startFakeProvider, startRedisServer, type FakeProvider, type RedisServer } from '../../lib/testing';
import { createRedis, matrixLabel } from '../helpers/redis-client';
import { Cleanups, sleep } from '../helpers/setup';

jest.setTimeout(30_000);

let server: RedisServer;
let provider: FakeProvider;
const cleanups = new Cleanups();

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  // Refresh tokens are not rotated: the paused process and the one that took over may both
  // refresh without the provider revoking anything, so what is left to protect is the store.
  provider = await startFakeProvider({ rotateRefreshTokens: false });
});
afterEach(async () => {
  await cleanups.run();
  await provider.close();
});

const LOCK_TTL_MS = 300;

function processOn(prefix: string, wrap: (store: RedisTokenStore) => TokenStore = (store) => store) {
  const redis = createRedis(server.port);
  const store = new RedisTokenStore(redis, { prefix });
  const client = axios.create({ baseURL: provider.url });
  const handle: TokenRefreshHandle = attachTokenRefresh(client, {
    store: wrap(store),
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' }),
    lockTtlMs: LOCK_TTL_MS,
    refreshTimeoutMs: LOCK_TTL_MS - 50,
    onStoreError: 'fail',
  });
  cleanups.push(
    () => handle.detach(),
    () => redis.disconnect(),
  );
  return { client, handle };
}

describe(`the fenced write on Redis (${matrixLabel})`, () => {
  it("a process that resumes after its lock lapsed does not overwrite the fleet's newer token; it adopts it", async () => {
    const prefix = `fence-${Date.now()}`;
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    let aPaused = false;
    // Process A: its write to the store waits until the test resumes it.
    const a = processOn(prefix, (store) => ({
      get: (key) => store.get(key),
      acquireLock: (key, owner, ttlMs) => store.acquireLock(key, owner, ttlMs),
      releaseLock: (key, owner) => store.releaseLock(key, owner),
      restore: (key, token) => store.restore(key, token),
      // Wake-ups without the token they may carry: a copy of B's token adopted from B's notice
      // would be put back by A itself over A's late write — a second line of defence that would
      // hide a missing fence, as a live B would (below).
      subscribe: (listener) => store.subscribe((key, version, kind) => listener(key, version, kind)),
      compareAndSet: async (key, next, expected, owner) => {
        if (next.version > 1) {
          aPaused = true;
          await resumed;
        }
        return store.compareAndSet(key, next, expected, owner);
      },
    }));
    const b = processOn(prefix);

    await a.handle.setToken(provider.authorize());
    provider.revokeAccessTokens();
    const fromA = a.client.get('/me'); // rejected → A refreshes (version 2) → pauses before writing
    while (!aPaused) await sleep(5);
    await sleep(LOCK_TTL_MS + 50); // A's lock has lapsed

    // Meanwhile the fleet moves on: B refreshes twice (versions 2 and 3); the second refresh
    // follows a revocation, so only B's newest token is accepted now.
    expect((await b.client.get('/me')).status).toBe(200);
    provider.revokeAccessTokens();
    expect((await b.client.get('/me')).status).toBe(200);
    const newest = await b.handle.getToken();
    expect(newest?.version).toBe(3);
    // B exits before A resumes. (A live B would notice the store going back to an older version
    // and put its copy back — a second line of defence that would hide a missing fence.)
    b.handle.detach();

    resume();
    const responseA = await fromA;

    // A's late write was refused; A replayed with the fleet's token instead of its own dead one.
    expect(responseA.status).toBe(200);
    expect(responseA.config.headers['Authorization']).toBe(`Bearer ${newest?.accessToken}`);
    // A process starting now reads the newest token and needs no refresh.
    const c = processOn(prefix);
    expect((await c.handle.getToken())?.accessToken).toBe(newest?.accessToken);
    const refreshesBefore = provider.stats.refreshes;
    expect((await c.client.get('/me')).status).toBe(200);
    expect(provider.stats.refreshes).toBe(refreshesBefore);
    expect(provider.stats.refreshes).toBe(3); // A's, and B's two: nothing more
  });
});
