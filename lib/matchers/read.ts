/**
 * Tolerant readers for matchers: a response may carry `AxiosHeaders` or a plain object, and
 * `data` may be an object, an array, a string (unparsed JSON, HTML), a Buffer or nothing.
 */

export function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  // AxiosHeaders: a case-insensitive lookup without copying every entry.
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, name);
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(', ');
    return undefined;
  }
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== lower) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(', ');
  }
  return undefined;
}

/** The body as a JSON value when it is one (already parsed, or a JSON string / Buffer). */
export function jsonBody(data: unknown): unknown {
  if (typeof data === 'string') return parseJson(data);
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(data)) return parseJson(data.toString('utf8'));
  return data;
}

function parseJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

/** `body.a.b.c`, or `undefined` when any step is missing or not an object. */
export function field(body: unknown, ...path: readonly string[]): unknown {
  let current = body;
  for (const step of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/**
 * Every value at a dot path; a `*` step fans out over an array's items (or an object's values).
 * `fieldValues([{ errorCode: 'X' }], '*.errorCode')` → `['X']`.
 */
export function fieldValues(body: unknown, path: string): unknown[] {
  let current: unknown[] = [body];
  for (const step of path.split('.')) {
    const next: unknown[] = [];
    for (const value of current) {
      if (typeof value !== 'object' || value === null) continue;
      if (step === '*') next.push(...(Array.isArray(value) ? value : Object.values(value)));
      else if (!Array.isArray(value)) next.push((value as Record<string, unknown>)[step]);
    }
    current = next;
  }
  return current.filter((value) => value !== undefined);
}
