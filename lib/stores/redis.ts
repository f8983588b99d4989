import { TokenDecodeError } from '../errors';
import type { TokenSet } from '../types';
import { msOption, optionError, snapshotOptions } from '../validate';
import type { CredentialListOptions, CredentialStatus } from './credential-status';
import { RedisCommands } from './redis-commands';
import { listCredentials } from './redis-credentials';
import { engineFor, type RedisEngine, type RedisTokenStoreClient } from './redis-engines';
import { parseFailure, parseNotice, parseTombstone } from './redis-replies';
import { COMPARE_AND_SET, DELETE_CREDENTIAL, GET_OR_LOCK, RELEASE_LOCK, RESTORE_IF_OLDER } from './redis-scripts';
import { createCodec, parseEncryptionKey, type TokenCodec } from './token-codec';
import type { ChangeListener, CredentialTombstone, GetOrLockResult, RefreshFailureRecord, TokenStore } from './token-store';

export { RedisCommandTimeoutError } from '../errors';
export type {
  NodeRedisClientLike,
  NodeRedisClusterLike,
  NodeRedisSentinelLike,
  NodeRedisSubscriberLike,
  RedisClientLike,
  RedisSubscriberLike,
  RedisTokenStoreClient,
} from './redis-engines';

const WHERE = 'RedisTokenStore: ';

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
 * Token sets in Redis, shared by every process — through ioredis or node-redis, one fleet may mix
 * them. Lock: `SET … NX PX`; write and release: Lua scripts that check the owner (and, for the
 * write, the version). Change notices go out on a pub/sub channel and carry what was written; they
 * are read on a connection this store opens itself and closes when the last subscriber (a detached
 * plugin) leaves.
 */
export class RedisTokenStore implements TokenStore {
  readonly #engine: RedisEngine;
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #codec: TokenCodec;
  readonly #channel: string;
  readonly #listeners = new Set<ChangeListener>();
  #closeSubscriber: (() => void) | undefined;
  /** `ttlMs`, when entries expire. */
  readonly entryTtlMs: number | undefined;

  /** `client`: an ioredis `Redis` or `Cluster`, or a connected node-redis client, cluster or sentinel. */
  constructor(client: RedisTokenStoreClient, options: RedisTokenStoreOptions = {}) {
    this.#engine = engineFor(client);
    if (typeof options !== 'object' || options === null) throw optionError(WHERE, 'options', 'an object', options);
    const given = snapshotOptions(WHERE, options, ['prefix', 'encryptionKey', 'commandTimeoutMs', 'ttlMs']);
    const prefix = given.prefix ?? 'axios-token-flight';
    if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix))
      throw optionError(WHERE, 'prefix', 'a non-empty string without { or }', prefix);
    this.#prefix = prefix;
    this.#codec = createCodec(parseEncryptionKey(given.encryptionKey));
    this.#redis = new RedisCommands(this.#engine, msOption(WHERE, 'commandTimeoutMs', given.commandTimeoutMs, 2_000, 1));
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
    const reply = await this.#redis.send('HMGET', this.tokenKey(key), 'v', 'd');
    const [version, data] = Array.isArray(reply) ? reply : [];
    return this.#decode(key, version, data);
  }

  async getOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }): Promise<GetOrLockResult> {
    const reply = await this.#redis.script(
      GET_OR_LOCK,
      [this.tokenKey(key), this.lockKey(key)],
      [lock.owner, lock.ttlMs, lock.ifVersionAtMost],
    );
    const [version, data, lockReply] = Array.isArray(reply) ? reply : [];
    const locked = Number(lockReply) === 1;
    try {
      return { token: this.#decode(key, version, data), locked };
    } catch (error) {
      // A value nobody here can read is not worth holding the fleet's lock over until it expires.
      if (locked) await this.releaseLock(key, lock.owner).catch(() => undefined);
      throw error;
    }
  }

  async compareAndSet(key: string, next: TokenSet, expectedVersion: number, lockOwner: string): Promise<boolean> {
    const storageKey = this.tokenKey(key);
    const value = this.#codec.encode(next, storageKey);
    const result = await this.#redis.script(
      COMPARE_AND_SET,
      [storageKey, this.lockKey(key), this.tombstoneKey(key)],
      [
        lockOwner,
        expectedVersion,
        next.version,
        value,
        this.#channel,
        this.#written(key, next.version, value),
        this.entryTtlMs ?? 0,
        next.generation ?? 0,
      ],
    );
    return Number(result) === 1;
  }

  async restore(key: string, token: TokenSet): Promise<boolean> {
    const storageKey = this.tokenKey(key);
    const value = this.#codec.encode(token, storageKey);
    const result = await this.#redis.script(
      RESTORE_IF_OLDER,
      [storageKey, this.tombstoneKey(key)],
      [token.version, value, this.#channel, this.#written(key, token.version, value), this.entryTtlMs ?? 0, token.generation ?? 0],
    );
    return Number(result) === 1;
  }

  async delete(key: string, tombstone: CredentialTombstone): Promise<void> {
    await this.#redis.script(
      DELETE_CREDENTIAL,
      [this.tokenKey(key), this.failureKey(key), this.tombstoneKey(key)],
      [tombstone.version, tombstone.deletedAt, this.#channel, JSON.stringify({ key, version: tombstone.version, kind: 'deleted' })],
    );
  }

  async getTombstone(key: string): Promise<CredentialTombstone | null> {
    return parseTombstone(await this.#redis.send('HMGET', this.tombstoneKey(key), 'v', 'at'));
  }

  async requestCopies(key: string): Promise<boolean> {
    const receivers = Number(await this.#redis.send('PUBLISH', this.#channel, JSON.stringify({ key, version: 0, kind: 'wanted' })));
    // PUBLISH counts every subscribed connection, this store's own among them.
    return receivers > (this.#closeSubscriber === undefined ? 0 : 1);
  }

  async getRefreshFailure(key: string): Promise<RefreshFailureRecord | null> {
    // No record: GET answers null, which parses as JSON null — not a record, like any junk.
    return parseFailure(String(await this.#redis.send('GET', this.failureKey(key))));
  }

  async setRefreshFailure(key: string, record: RefreshFailureRecord | null): Promise<void> {
    if (record === null) {
      await this.#redis.send('DEL', this.failureKey(key));
      return;
    }
    const ttlMs = Math.max(1, Math.ceil(record.rememberUntil - Date.now()));
    await this.#redis.send('SET', this.failureKey(key), JSON.stringify(record), 'PX', ttlMs);
  }

  /**
   * Every credential of this prefix (and every tombstone) whose key matches `match` (Redis glob),
   * as an operator may see it — never a token, also with `encryptionKey`. SCAN-based: one batch in
   * memory at a time; on a Cluster, every master is scanned.
   */
  credentials(options: CredentialListOptions = {}): AsyncIterable<CredentialStatus> {
    return listCredentials(
      {
        prefix: this.#prefix,
        scanTargets: () => this.#engine.scanTargets(),
        command: (command, ...args) => this.#redis.send(command, ...args),
        get: (key) => this.get(key),
        getRefreshFailure: (key) => this.getRefreshFailure(key),
        getTombstone: (key) => this.getTombstone(key),
        lockKey: (key) => this.lockKey(key),
      },
      options,
    );
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.send('SET', this.lockKey(key), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    return Number(await this.#redis.script(RELEASE_LOCK, [this.lockKey(key)], [owner])) === 1;
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    this.#closeSubscriber ??= this.#engine.listen(this.#channel, (message) => this.#onNotice(message));
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#closeSubscriber !== undefined) {
        this.#closeSubscriber();
        this.#closeSubscriber = undefined;
      }
    };
  }

  #onNotice(message: string): void {
    const notice = parseNotice(message);
    if (notice === undefined) return;
    let token: TokenSet | undefined;
    if (notice.value !== undefined) {
      try {
        token = this.#decode(notice.key, notice.version, notice.value) ?? undefined;
      } catch {
        // Another encryptionKey, or junk: the notice is still a wake-up; the waiter reads instead.
      }
    }
    for (const listener of this.#listeners) listener(notice.key, notice.version, notice.kind, token);
  }

  /**
   * A write's notice carries the value written (encrypted too, with `encryptionKey`), so a waiting
   * process adopts it without another read. 'written' is left out: processes from before notice
   * kinds read a notice without one as a write, and ignore the value.
   */
  #written(key: string, version: number, value: string): string {
    return JSON.stringify({ key, version, value });
  }

  /** The version field is what the fence compares; it must agree with the version inside the (authenticated, when encrypted) value. */
  #decode(key: string, version: unknown, data: unknown): TokenSet | null {
    if (data === null || data === undefined) return null;
    try {
      return this.#codec.decode(String(data), this.tokenKey(key), Number(version));
    } catch (error) {
      // The codec knows the Redis key; the error should name the credential.
      throw error instanceof TokenDecodeError ? new TokenDecodeError(error.message, { key }) : error;
    }
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
