import type { TokenSet } from '../types';
// A prefix is literal text: its glob characters must not widen the SCAN.
import { escapeGlob, statusOf, type CredentialListOptions, type CredentialStatus } from './credential-status';
import type { SendCommand } from './redis-engines';
import type { CredentialTombstone, RefreshFailureRecord } from './token-store';

/** What listing needs from the store: its keys, its own reads (decoding included), and a bounded command. */
export interface CredentialSource {
  readonly prefix: string;
  /** One sender per node to SCAN: the client itself, or each master of a Cluster. */
  readonly scanTargets: () => Promise<SendCommand[]>;
  command(command: string, ...args: Array<string | number>): Promise<unknown>;
  get(key: string): Promise<TokenSet | null>;
  getRefreshFailure(key: string): Promise<RefreshFailureRecord | null>;
  getTombstone(key: string): Promise<CredentialTombstone | null>;
  lockKey(key: string): string;
}

const SCAN_COUNT = 200;

/**
 * SCAN-based listing, one batch at a time (memory stays bounded by a batch, whatever the number of
 * credentials). Only this prefix's token and tombstone keys. SCAN may return a key twice while Redis
 * rehashes; so may this.
 */
export async function* listCredentials(source: CredentialSource, options: CredentialListOptions): AsyncIterable<CredentialStatus> {
  const prefix = `${escapeGlob(source.prefix)}:{`;
  const pattern = `${prefix}${options.match ?? '*'}}:*`;
  const head = `${source.prefix}:{`;
  for (const scan of await source.scanTargets()) {
    let cursor = '0';
    do {
      const reply = (await scan('SCAN', [cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT])) as [string, string[]];
      cursor = String(reply[0]);
      const keys = new Set<string>();
      for (const name of reply[1].map(String)) {
        if (!name.startsWith(head)) continue;
        for (const suffix of ['}:token', '}:deleted']) {
          if (name.endsWith(suffix)) keys.add(name.slice(head.length, -suffix.length));
        }
      }
      for (const key of keys) yield await statusFromRedis(source, key);
    } while (cursor !== '0');
  }
}

async function statusFromRedis(source: CredentialSource, key: string): Promise<CredentialStatus> {
  const [token, tombstone, locked, failure] = await Promise.all([
    source.get(key),
    source.getTombstone(key),
    source.command('EXISTS', source.lockKey(key)).then((count) => Number(count) > 0),
    source.getRefreshFailure(key),
  ]);
  return statusOf(key, token, tombstone?.version, locked, failure);
}
