/**
 * The `axios-token-flight` command, end to end: real child processes against a real redis-server,
 * plain and encrypted. Exit codes, one-line errors, and never a token in stdout or stderr.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import axios from 'axios';
import { attachTokenRefresh, ReauthorizationRequiredError, RedisTokenStore, type TokenRefreshHandle } from '../../lib';
import { startRedisServer, type RedisServer } from '../../lib/testing';
import { createRedis } from '../helpers/redis-client';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const TSX = require.resolve('tsx/cli');
const ACCESS_TOKEN = `at_${randomBytes(16).toString('hex')}`;
const REFRESH_TOKEN = `rt_${randomBytes(16).toString('hex')}`;
const TOKEN_JSON = JSON.stringify({ accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, expiresIn: 3600 });
const ENCRYPTION_KEY = randomBytes(32).toString('hex');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

/** Runs the CLI from source (as the built `bin` does), with `stdin` piped in. */
function cli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [TSX, path.join(ROOT, 'lib/cli/bin.ts'), ...args],
      { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', REDIS_URL: redis.url, ...options.env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

function expectNoSecret(...runs: Run[]): void {
  for (const run of runs) {
    for (const secret of [ACCESS_TOKEN, REFRESH_TOKEN, ENCRYPTION_KEY]) expect(run.stdout + run.stderr).not.toContain(secret);
  }
}

function expectOneLineError(run: Run, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('a plain store', () => {
  const prefix = `cli-${randomBytes(3).toString('hex')}`;

  it('seed (stdin), list, show and delete: exit 0, the state shown, never a token', async () => {
    const seeded = await cli(['seed', 'acct-42', '--prefix', prefix], { stdin: TOKEN_JSON });
    const listed = await cli(['list', '--prefix', prefix]);
    const shown = await cli(['show', 'acct-42', '--prefix', prefix, '--json']);
    const listedJson = await cli(['list', '--prefix', prefix, '--json', '--match', 'acct-*']);
    const deleted = await cli(['delete', 'acct-42', '--prefix', prefix]);
    const afterDelete = await cli(['show', 'acct-42', '--prefix', prefix, '--json']);

    expect([seeded, listed, shown, listedJson, deleted, afterDelete].map((run) => run.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(seeded.stdout).toMatch(/seeded "acct-42" \(version 1\)/);
    expect(listed.stdout).toMatch(/^KEY\s+VERSION\s+EXPIRES\s+REFRESH TOKEN\s+STATE\nacct-42\s+1\s+\S+Z\s+yes\s+ok\n$/);
    expect(JSON.parse(shown.stdout)).toMatchObject({ key: 'acct-42', version: 1, hasRefreshToken: true, deleted: false, locked: false });
    expect(JSON.parse(listedJson.stdout)).toHaveLength(1);
    expect(deleted.stdout).toMatch(/deleted "acct-42" \(version 2\)/);
    expect(JSON.parse(afterDelete.stdout)).toMatchObject({ key: 'acct-42', deleted: true, hasRefreshToken: false });
    expectNoSecret(seeded, listed, shown, listedJson, deleted, afterDelete);
  });

  it('delete and seed send the notices a handle sends: a running process drops the credential at once, and takes the re-seed', async () => {
    const client = createRedis(redis.port);
    const store = new RedisTokenStore(client, { prefix });
    const handle: TokenRefreshHandle = attachTokenRefresh(axios.create(), {
      store,
      origins: 'any',
      refresh: async () => ({ accessToken: 'never-used' }),
    });
    try {
      await cli(['seed', 'acct-7', '--prefix', prefix], { stdin: TOKEN_JSON });
      expect((await handle.getToken('acct-7')).accessToken).toBe(ACCESS_TOKEN);
      await new Promise((resolve) => setTimeout(resolve, 300));

      await cli(['delete', 'acct-7', '--prefix', prefix]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const afterDelete = await handle.getToken('acct-7').catch((error: unknown) => error);
      const reseeded = await cli(['seed', 'acct-7', '--prefix', prefix], {
        stdin: JSON.stringify({ accessToken: `${ACCESS_TOKEN}-2`, expiresIn: 60 }),
      });
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(afterDelete).toBeInstanceOf(ReauthorizationRequiredError);
      expect(reseeded.code).toBe(0);
      expect((await handle.getToken('acct-7')).accessToken).toBe(`${ACCESS_TOKEN}-2`);
    } finally {
      handle.detach();
      client.disconnect();
    }
  });

  it.each([
    ['an unknown command', ['frob'], 2, /unknown command "frob"/],
    ['show without a key', ['show'], 2, /show needs a credential key/],
    ['an unknown option', ['list', '--verbose'], 2, /verbose/],
    ['a stray argument', ['show', 'a', 'b'], 2, /unexpected argument "b"/],
    ['an unreachable Redis', ['list', '--redis', 'redis://127.0.0.1:1'], 1, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/],
    ['a credential that does not exist', ['show', 'nobody', '--prefix', prefix], 1, /no credential "nobody"/],
  ])('%s: the exit code for it, one line, no stack', async (_, args, code, pattern) => {
    expectOneLineError(await cli(args as string[]), code as number, pattern as RegExp);
  });

  it('seed with stdin that is not JSON, or a token that is not usable: exit 2, the token not echoed', async () => {
    const notJson = await cli(['seed', 'acct-1', '--prefix', prefix], { stdin: `accessToken=${ACCESS_TOKEN}` });
    const unusable = await cli(['seed', 'acct-1', '--prefix', prefix], {
      stdin: JSON.stringify({ accessToken: `${ACCESS_TOKEN}\n`, refreshToken: REFRESH_TOKEN }),
    });

    expectOneLineError(notJson, 2, /stdin is not JSON/);
    expectOneLineError(unusable, 2, /accessToken contains characters/);
    expectNoSecret(notJson, unusable);
  });

  it('no Redis URL at all: exit 2', async () => {
    expectOneLineError(await cli(['list'], { env: { REDIS_URL: '' } }), 2, /pass --redis <url> or set REDIS_URL/);
  });
});

describe('an encrypted store', () => {
  const prefix = `cli-enc-${randomBytes(3).toString('hex')}`;
  const withKey = { env: { AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY: ENCRYPTION_KEY } };

  it('works with AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY; without it, or with another key, one line naming the variable', async () => {
    const seeded = await cli(['seed', 'acct-9', '--prefix', prefix], { ...withKey, stdin: TOKEN_JSON });
    const listed = await cli(['list', '--prefix', prefix, '--json'], withKey);
    const withoutKey = await cli(['list', '--prefix', prefix]);
    const otherKey = await cli(['list', '--prefix', prefix], {
      env: { AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    });
    const badKey = await cli(['list', '--prefix', prefix], { env: { AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY: 'not-a-key' } });
    const admin = createRedis(redis.port);
    const stored = String(await admin.call('HGET', `${prefix}:{acct-9}:token`, 'd'));
    admin.disconnect();

    expect(seeded.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ key: 'acct-9', version: 1, hasRefreshToken: true })]);
    expectOneLineError(withoutKey, 1, /the store is encrypted: set AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY/);
    expectOneLineError(otherKey, 1, /do not decrypt with AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY/);
    expectOneLineError(badKey, 2, /AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY is not a valid key/);
    expect(stored).not.toContain(ACCESS_TOKEN);
    expectNoSecret(seeded, listed, withoutKey, otherKey, badKey);
  });
});
