import { RedisCommandTimeoutError, TokenDecodeError } from '../errors';
import type { TokenSet } from '../types';

export { RedisCommandTimeoutError } from '../errors';
import type { CredentialListOptions, CredentialStatus } from './credential-status';
import { listCredentials } from './redis-credentials';
import { parseNotice, parseTombstone, type Notice } from './redis-notices';
import { COMPARE_AND_SET, DELETE_CREDENTIAL, RELEASE_LOCK, RESTORE_IF_OLDER } from './redis-scripts';
import { createCodec, parseEncryptionKey, type TokenCodec } from './token-codec';
import type { ChangeKind, CredentialTombstone, RefreshFailureRecord, TokenStore } from './token-store';
import { msOption, optionError, snapshotOptions } from '../validate';

const WHERE = 'RedisTokenStore: ';

type RedisArgument = string | number | Buffer;

/**
 * What the store needs from an ioredis client: `Redis` or `Cluster`, ioredis 5 or 6, RESP2 or
 * RESP3. Structural, so this package imports nothing from ioredis.
 */
export interface RedisClientLike {
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  duplicate(): RedisSubscriberLike;
}

export interface RedisSubscriberLike {
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(): void;
}

export interface RedisTokenStoreOptions {
  /** Namespace of every key: `${prefix}:{${key}}:token` and `:lock`. @default 'axios-token-flight' */
  readonly prefix?: string | undefined;
  /** 32 bytes (Buffer, or base64 / hex string): token sets are stored AES-256-GCM encrypted. */
  readonly encryptionKey?: Buffer | Uint8Array | string | undefined;
  /** Every Redis command fails after this long instead of waiting on a dead server. @default 2_000 */
  readonly commandTimeoutMs?: number | undefined;
  /**
   * Let a credential's entry expire this long after its last write (refresh, `setToken`,
   * restore), so Redis memory follows active tenants. Only with the plugin's `persist` option —
   * `attachTokenRefresh` refuses this store otherwise: an expired entry would take the only copy
   * of a refresh token with it. With `persist`, an expired credential is loaded back on next use.
   * Pick it well above the token lifetime (a refresh rewrites the entry). @default none (entries never expire)
   */
  readonly ttlMs?: number | undefined;
}

/**
 * Token sets in Redis, shared by every process. Lock: `SET … NX PX`; write and release: Lua
 * scripts that check the owner (and, for the write, the version). Change notices go out on a
 * pub/sub channel, read on a connection this store duplicates itself and closes when the last
 * subscriber (a detached plugin) leaves.
 */
export class RedisTokenStore implements TokenStore {
  readonly #redis: RedisClientLike;
  readonly #prefix: string;
  readonly #codec: TokenCodec;
  readonly #timeoutMs: number;
  readonly #channel: string;
  readonly #listeners = new Set<(key: string, version?: number, kind?: ChangeKind) => void>();
  #subscriber: RedisSubscriberLike | undefined;
  /** `ttlMs`, when entries expire. */
  readonly entryTtlMs: number | undefined;

  constructor(redis: RedisClientLike, options: RedisTokenStoreOptions = {}) {
    if (typeof redis?.call !== 'function' || typeof redis.duplicate !== 'function') {
      throw new TypeError('axios-token-flight: RedisTokenStore expects an ioredis Redis or Cluster instance');
    }
    if (typeof options !== 'object' || options === null) throw optionError(WHERE, 'options', 'an object', options);
    const given = snapshotOptions(WHERE, options, ['prefix', 'encryptionKey', 'commandTimeoutMs', 'ttlMs']);
    const prefix = given.prefix ?? 'axios-token-flight';
    if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix))
      throw optionError(WHERE, 'prefix', 'a non-empty string without { or }', prefix);
    this.#redis = redis;
    this.#prefix = prefix;
    this.#codec = createCodec(parseEncryptionKey(given.encryptionKey));
    this.#timeoutMs = msOption(WHERE, 'commandTimeoutMs', given.commandTimeoutMs, 2_000, 1);
    this.entryTtlMs = entryTtl(given.ttlMs);
    this.#channel = `${prefix}:token-written`;
  }

  /** The Redis key of a credential's token set (its hash tag keeps token and lock in one Cluster slot). */
  tokenKey(key: string): string {
    return `${this.#prefix}:{${key}}:token`;
  }

  lockKey(key: string): string {
    return `${this.#prefix}:{${key}}:lock`;
  }

  failureKey(key: string): string {
    return `${this.#prefix}:{${key}}:failure`;
  }

  /** A deleted credential's tombstone (same hash tag: one slot with its token). */
  tombstoneKey(key: string): string {
    return `${this.#prefix}:{${key}}:deleted`;
  }

  async get(key: string): Promise<TokenSet | null> {
    const storageKey = this.tokenKey(key);
    // The version field is what the fence compares; it must agree with the version inside the
    // (authenticated, when encrypted) value, or a write to Redis could make a refresh's write fail.
    const reply = await this.#command('HMGET', storageKey, 'v', 'd');
    const [version, data] = Array.isArray(reply) ? reply : [];
    if (data === null || data === undefined) return null;
    try {
      return this.#codec.decode(String(data), storageKey, Number(version));
    } catch (error) {
      // The codec knows the Redis key; the error should name the credential.
      throw error instanceof TokenDecodeError ? new TokenDecodeError(error.message, { key }) : error;
    }
  }

  async compareAndSet(key: string, next: TokenSet, expectedVersion: number, lockOwner: string): Promise<boolean> {
    const storageKey = this.tokenKey(key);
    const result = await this.#command(
      'EVAL',
      COMPARE_AND_SET,
      3,
      storageKey,
      this.lockKey(key),
      this.tombstoneKey(key),
      lockOwner,
      expectedVersion,
      next.version,
      this.#codec.encode(next, storageKey),
      this.#channel,
      this.#notice(key, next.version, 'written'),
      this.entryTtlMs ?? 0,
      next.generation ?? 0,
    );
    return Number(result) === 1;
  }

  async restore(key: string, token: TokenSet): Promise<boolean> {
    const storageKey = this.tokenKey(key);
    const result = await this.#command(
      'EVAL',
      RESTORE_IF_OLDER,
      2,
      storageKey,
      this.tombstoneKey(key),
      token.version,
      this.#codec.encode(token, storageKey),
      this.#channel,
      this.#notice(key, token.version, 'written'),
      this.entryTtlMs ?? 0,
      token.generation ?? 0,
    );
    return Number(result) === 1;
  }

  async delete(key: string, tombstone: CredentialTombstone): Promise<void> {
    await this.#command(
      'EVAL',
      DELETE_CREDENTIAL,
      3,
      this.tokenKey(key),
      this.failureKey(key),
      this.tombstoneKey(key),
      tombstone.version,
      tombstone.deletedAt,
      this.#channel,
      this.#notice(key, tombstone.version, 'deleted'),
    );
  }

  async getTombstone(key: string): Promise<CredentialTombstone | null> {
    return parseTombstone(await this.#command('HMGET', this.tombstoneKey(key), 'v', 'at'));
  }

  async requestCopies(key: string): Promise<boolean> {
    const receivers = Number(await this.#command('PUBLISH', this.#channel, this.#notice(key, 0, 'wanted')));
    // PUBLISH counts every subscribed connection, this store's own among them.
    return receivers > (this.#subscriber === undefined ? 0 : 1);
  }

  async getRefreshFailure(key: string): Promise<RefreshFailureRecord | null> {
    const reply = await this.#command('GET', this.failureKey(key));
    // No record: GET answers null, which parses as JSON null — not a record, like any junk.
    return parseFailure(String(reply));
  }

  async setRefreshFailure(key: string, record: RefreshFailureRecord | null): Promise<void> {
    if (record === null) {
      await this.#command('DEL', this.failureKey(key));
      return;
    }
    const ttlMs = Math.max(1, Math.ceil(record.rememberUntil - Date.now()));
    await this.#command('SET', this.failureKey(key), JSON.stringify(record), 'PX', ttlMs);
  }

  /**
   * Every credential of this prefix (and every tombstone) whose key matches `match` (Redis glob),
   * as an operator may see it — never a token, also with `encryptionKey`. SCAN-based: one batch in
   * memory at a time; on a Cluster, every master is scanned.
   */
  credentials(options: CredentialListOptions = {}): AsyncIterable<CredentialStatus> {
    const cluster = this.#redis as { nodes?: (role: string) => RedisClientLike[] };
    return listCredentials(
      {
        prefix: this.#prefix,
        nodes: async () => (typeof cluster.nodes === 'function' ? cluster.nodes('master') : [this.#redis]),
        command: (command, ...args) => this.#command(command, ...args),
        get: (key) => this.get(key),
        getRefreshFailure: (key) => this.getRefreshFailure(key),
        getTombstone: (key) => this.getTombstone(key),
        lockKey: (key) => this.lockKey(key),
      },
      options,
    );
  }

  #notice(key: string, version: number, kind: ChangeKind): string {
    // 'written' is left out: stores and processes from before notice kinds read it as a write.
    return JSON.stringify(kind === 'written' ? { key, version } : { key, version, kind });
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.#command('SET', this.lockKey(key), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    return Number(await this.#command('EVAL', RELEASE_LOCK, 1, this.lockKey(key), owner)) === 1;
  }

  subscribe(listener: (key: string, version?: number, kind?: ChangeKind) => void): () => void {
    this.#listeners.add(listener);
    this.#subscriber ??= this.#openSubscriber();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#subscriber !== undefined) {
        this.#subscriber.disconnect();
        this.#subscriber = undefined;
      }
    };
  }

  #openSubscriber(): RedisSubscriberLike {
    const subscriber = this.#redis.duplicate();
    // Notices are hints: a lost one costs a poll, so connection errors are not worth surfacing
    // (the command path reports outages), but an 'error' event without a listener would crash.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel, message) => {
      // Only our channel: this connection is ours and subscribes to nothing else.
      const notice: Notice | undefined = parseNotice(message);
      if (notice === undefined) return;
      for (const listener of this.#listeners) listener(notice.key, notice.version, notice.kind);
    });
    subscriber.subscribe(this.#channel).catch(() => undefined);
    return subscriber;
  }

  /** Every command is bounded: an offline client queues commands until it reconnects, which may be never. */
  #command(command: string, ...args: RedisArgument[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisCommandTimeoutError(`Redis did not answer ${command} within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    return Promise.race([this.#redis.call(command, ...args), timeout]).finally(() => clearTimeout(timer));
  }
}

/** Not a timer (Redis keeps it), so longer than Node's 2^31 ms is fine; under a second is surely a unit mistake. */
function entryTtl(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1_000 || value > MAX_ENTRY_TTL_MS) {
    throw optionError(WHERE, 'ttlMs', `an integer number of milliseconds from 1000 to ${MAX_ENTRY_TTL_MS} (10 years)`, value);
  }
  return value;
}

const MAX_ENTRY_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** A failure record as written by `setRefreshFailure`; anything else reads as none (it is only a hint to hold back). */
function parseFailure(text: string): RefreshFailureRecord | null {
  try {
    const value = JSON.parse(text) as Partial<Record<keyof RefreshFailureRecord, unknown>> | null;
    const valid =
      value !== null &&
      (value.kind === 'backoff' || value.kind === 'reauthorize') &&
      Number.isInteger(value.version) &&
      Number.isInteger(value.attempts) &&
      Number.isFinite(value.until) &&
      Number.isFinite(value.rememberUntil);
    return valid ? (value as RefreshFailureRecord) : null;
  } catch {
    return null;
  }
}
