/**
 * `TokenSet.extra`: the token response's fields the plugin does not use itself — Salesforce's
 * `instance_url`, OIDC's `id_token`, `scope`, a provider's account id. They are stored with the
 * token (so encrypted with it), so they must be plain JSON, and bounded: every process reads them
 * on every store read.
 */

/** Serialised size cap: an id_token is a few KiB; anything near this is not token metadata. */
const MAX_EXTRA_BYTES = 64 * 1024;

export const NO_EXTRA: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * `extra` as it will be stored: a deep-frozen JSON copy (what every other process will read back),
 * merged over `previous` so a refresh that omits a field (OIDC refreshes often omit `id_token`)
 * keeps it. Returns a problem description instead of throwing, like `normaliseTokenInput`.
 */
export function normaliseExtra(
  extra: unknown,
  previous: Readonly<Record<string, unknown>> | undefined,
): { extra: Readonly<Record<string, unknown>> } | { problem: string } {
  if (extra === undefined) return { extra: previous ?? NO_EXTRA };
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    return {
      problem: `extra must be a plain object of JSON values, got ${extra === null ? 'null' : Array.isArray(extra) ? 'an array' : typeof extra}`,
    };
  }
  let json: string;
  try {
    json = JSON.stringify(previous === undefined ? extra : { ...previous, ...extra });
  } catch {
    // A cycle or a BigInt; the error's own message may quote a value.
    return { problem: 'extra must be JSON-serialisable (no cycles, no BigInt)' };
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_EXTRA_BYTES) return { problem: `extra must serialise to at most ${MAX_EXTRA_BYTES} bytes` };
  if (json === '{}') return { extra: NO_EXTRA };
  return { extra: deepFreeze(JSON.parse(json) as Record<string, unknown>) };
}

/** Whether a stored `extra` has a shape the plugin could have written. */
export function isStoredExtra(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
