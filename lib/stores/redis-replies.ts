/** Parsing what Redis answers and publishes: anything malformed reads as "nothing", never as an error. */
import type { ChangeKind, CredentialTombstone, RefreshFailureRecord } from './token-store';

/**
 * A change notice as published on the store's channel: `{ key, version, kind?, value? }` (no kind:
 * a write; `value`: the encoded token set written, from stores that send it).
 */
export interface Notice {
  readonly key: string;
  readonly version: number;
  readonly kind: ChangeKind;
  readonly value?: string | undefined;
}

const KINDS = new Set<unknown>(['written', 'deleted', 'wanted']);

export function parseNotice(message: string): Notice | undefined {
  try {
    const notice = JSON.parse(message) as { key?: unknown; version?: unknown; kind?: unknown; value?: unknown };
    if (typeof notice.key !== 'string' || typeof notice.version !== 'number') return undefined;
    const kind = notice.kind === undefined ? 'written' : notice.kind;
    if (!KINDS.has(kind)) return undefined;
    const value = kind === 'written' && typeof notice.value === 'string' ? notice.value : undefined;
    return { key: notice.key, version: notice.version, kind: kind as ChangeKind, value };
  } catch {
    return undefined;
  }
}

/** `HMGET tombstone v at` → the tombstone, or `null` when there is none (or it is junk). */
export function parseTombstone(reply: unknown): CredentialTombstone | null {
  if (!Array.isArray(reply) || reply[0] === null || reply[0] === undefined || reply[1] === null || reply[1] === undefined) return null;
  const [version, deletedAt] = reply.map(Number);
  return Number.isSafeInteger(version) && Number.isFinite(deletedAt)
    ? { version: version as number, deletedAt: deletedAt as number }
    : null;
}

/** A failure record as written by `setRefreshFailure`; anything else reads as none (it is only a hint to hold back). */
export function parseFailure(text: string): RefreshFailureRecord | null {
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
