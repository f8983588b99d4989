import axios from 'axios';
import { attachTokenRefresh, RedisTokenStore, type RedisClientLike, type TokenRefreshHandle } from '../index';
import { escapeGlob, type CredentialStatus } from '../stores/credential-status';
import { parseCliArguments, USAGE, UsageError, type CliArguments } from './arguments';
import { formatOne, formatTable } from './format';

/** Where the CLI writes; injectable so tests can run it in-process too. */
export interface CliIo {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  out(text: string): void;
  err(text: string): void;
}

interface RedisConnection extends RedisClientLike {
  connect(): Promise<void>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

const ENCRYPTION_KEY_VARIABLE = 'AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY';
const MAX_STDIN_BYTES = 1_048_576;

/** Runs one command; resolves the exit code (0 done, 1 failed, 2 bad arguments). Never prints a token or a stack. */
export async function runCli(io: CliIo): Promise<number> {
  let args: CliArguments | undefined;
  try {
    args = parseCliArguments(io.argv, io.env);
  } catch (error) {
    io.err(`axios-token-flight: ${(error as Error).message}`);
    return 2;
  }
  if (args === undefined) {
    io.out(USAGE);
    return 0;
  }
  let redis: RedisConnection | undefined;
  try {
    const input = args.command === 'seed' ? await readTokenJson(io.stdin) : undefined;
    redis = await connect(args.redisUrl);
    const store = openStore(args, io.env, redis);
    await run(args, store, input, io);
    return 0;
  } catch (error) {
    io.err(`axios-token-flight: ${explain(error)}`);
    return error instanceof UsageError || error instanceof TypeError ? 2 : 1;
  } finally {
    await redis?.quit().catch(() => redis?.disconnect());
  }
}

async function run(args: CliArguments, store: RedisTokenStore, input: unknown, io: CliIo): Promise<void> {
  const key = args.key as string;
  switch (args.command) {
    case 'list': {
      const statuses: CredentialStatus[] = [];
      for await (const status of store.credentials(args.match === undefined ? {} : { match: args.match })) statuses.push(status);
      statuses.sort((a, b) => a.key.localeCompare(b.key));
      io.out(args.json ? JSON.stringify(statuses) : formatTable(statuses));
      return;
    }
    case 'show': {
      const status = await statusOf(store, key);
      if (status === undefined) throw new Error(`no credential "${key}" under this prefix`);
      io.out(args.json ? JSON.stringify(status) : formatOne(status));
      return;
    }
    case 'delete':
      await withHandle(store, (handle) => handle.deleteToken(key));
      return report(io, args, await statusOf(store, key), 'deleted');
    case 'seed':
      await withHandle(store, (handle) => handle.setToken(input as never, key));
      return report(io, args, await statusOf(store, key), 'seeded');
  }
}

function report(io: CliIo, args: CliArguments, status: CredentialStatus | undefined, what: string): void {
  io.out(args.json ? JSON.stringify(status ?? null) : `${what} "${args.key}" (version ${status?.version ?? '?'})`);
}

async function statusOf(store: RedisTokenStore, key: string): Promise<CredentialStatus | undefined> {
  for await (const status of store.credentials({ match: escapeGlob(key) })) if (status.key === key) return status;
  return undefined;
}

/**
 * `delete` and `seed` go through a handle, exactly as an application's would: the same lock,
 * fence, tombstone, generation and change notices, so running processes see them at once.
 */
async function withHandle(store: RedisTokenStore, action: (handle: TokenRefreshHandle) => Promise<unknown>): Promise<void> {
  const handle = attachTokenRefresh(axios.create(), {
    store,
    origins: 'any',
    refresh: () => Promise.reject(new Error('the CLI never refreshes')),
  });
  try {
    await action(handle);
  } finally {
    await handle.close();
  }
}

function openStore(args: CliArguments, env: NodeJS.ProcessEnv, redis: RedisConnection): RedisTokenStore {
  const encryptionKey = env[ENCRYPTION_KEY_VARIABLE];
  try {
    return new RedisTokenStore(redis, {
      ...(args.prefix === undefined ? {} : { prefix: args.prefix }),
      ...(encryptionKey === undefined || encryptionKey === '' ? {} : { encryptionKey }),
    });
  } catch (error) {
    if (/encryptionKey/.test((error as Error).message))
      throw new UsageError(`${ENCRYPTION_KEY_VARIABLE} is not a valid key: 32 bytes as 64 hex digits or base64`);
    throw error;
  }
}

async function connect(url: string): Promise<RedisConnection> {
  let Redis: new (url: string, options: Record<string, unknown>) => RedisConnection;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Redis = (require('ioredis') as { default: typeof Redis }).default;
  } catch {
    throw new Error('the CLI needs ioredis: npm install ioredis');
  }
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${withoutCredentials(url)} (${(error as Error).message})`);
  }
  return redis;
}

async function readTokenJson(stdin: CliIo['stdin']): Promise<unknown> {
  if (stdin.isTTY === true) throw new UsageError('seed reads the token JSON from stdin (never from arguments): pipe it in');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > MAX_STDIN_BYTES) throw new UsageError('the token JSON on stdin is larger than 1 MiB');
    chunks.push(bytes);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new UsageError('stdin is not JSON: expected {"accessToken": "…", "refreshToken": "…", "expiresIn": 3600}');
  }
}

/** One line for an operator; never a stack, never a token (the plugin's messages quote none). */
function explain(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { message?: unknown } } | undefined)?.cause?.message;
  const text = `${message} ${typeof cause === 'string' ? cause : ''}`;
  if (/encrypted, but the store has no encryptionKey/.test(text))
    return `the store is encrypted: set ${ENCRYPTION_KEY_VARIABLE} to its encryptionKey`;
  if (/could not be decrypted/.test(text))
    return `the stored values do not decrypt with ${ENCRYPTION_KEY_VARIABLE}: is it the store's encryptionKey?`;
  if (/is not encrypted, but the store has an encryptionKey/.test(text))
    return `the store is not encrypted: unset ${ENCRYPTION_KEY_VARIABLE}`;
  return message.replace(/^axios-token-flight: /, '').split('\n')[0] as string;
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'the given URL';
  }
}
