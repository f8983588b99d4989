import type { ChangeKind, CredentialTombstone } from './token-store';

/** A change notice as published on the store's channel: `{ key, version, kind? }` (no kind: a write). */
export interface Notice {
  readonly key: string;
  readonly version: number;
  readonly kind: ChangeKind;
}

const KINDS = new Set<unknown>(['written', 'deleted', 'wanted']);

export function parseNotice(message: string): Notice | undefined {
  try {
    const notice = JSON.parse(message) as { key?: unknown; version?: unknown; kind?: unknown };
    if (typeof notice.key !== 'string' || typeof notice.version !== 'number') return undefined;
    const kind = notice.kind === undefined ? 'written' : notice.kind;
    return KINDS.has(kind) ? { key: notice.key, version: notice.version, kind: kind as ChangeKind } : undefined;
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
