/**
 * Redaction by value: every string reachable from an error the way `util.inspect` (any depth),
 * `JSON.stringify` and loggers reach it — own enumerable properties, `message`, `stack`, `cause`,
 * `errors`, Map values — has each secret replaced by `[REDACTED]`, in place.
 *
 * In place, because callers keep the same error object (`instanceof`, `axios.isAxiosError`,
 * `error.response.status` all still work). What it does not descend into, on purpose:
 * live I/O objects (streams, sockets, requests, agents — they belong to Node and may still be in
 * use; `redact.ts` handles the finished request of an AxiosError itself), binary buffers, and
 * accessor properties (a getter may have side effects).
 */
export const REDACTED = '[REDACTED]';

/** Shorter values are not scrubbed by value: replacing every "abc" in a message would shred it. */
const MIN_SECRET_LENGTH = 8;
/** A bound on the walk, so a pathological graph cannot stall an error path. */
const MAX_OBJECTS = 50_000;

/** The forms a secret takes in text: as is, in a URL or form body, inside a JSON string. */
export function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(new URLSearchParams({ v: secret }).toString().slice(2));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

export function scrubText(text: string, forms: readonly string[]): string {
  let result = text;
  for (const form of forms) if (result.includes(form)) result = result.split(form).join(REDACTED);
  return result;
}

/** Scrubs `root` in place and returns it. `secrets` are raw values; their encoded forms are derived. */
export function scrubSecrets<T>(root: T, secrets: readonly string[]): T {
  return scrubForms(root, secretForms(secrets));
}

/** As `scrubSecrets`, with the forms already derived by `secretForms`. */
export function scrubForms<T>(root: T, forms: readonly string[]): T {
  if (forms.length === 0 || typeof root !== 'object' || root === null) return root;
  const seen = new Set<object>();
  const queue: object[] = [root];
  while (queue.length > 0 && seen.size < MAX_OBJECTS) {
    const current = queue.pop() as object;
    if (seen.has(current) || isOpaque(current)) continue;
    seen.add(current);
    scrubObject(current, forms, queue);
  }
  return root;
}

function scrubObject(target: object, forms: readonly string[], queue: object[]): void {
  const record = target as Record<PropertyKey, unknown>;
  const names: PropertyKey[] = [];
  for (const name of Reflect.ownKeys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, name);
    // `message`, `stack` and `cause` are own but not enumerable on errors; inspect prints them anyway.
    if (descriptor !== undefined && 'value' in descriptor && (descriptor.enumerable === true || isErrorDetail(target, name))) names.push(name);
  }
  for (const name of names) {
    const value = record[name];
    if (typeof value === 'string') {
      const scrubbed = scrubText(value, forms);
      if (scrubbed !== value) replace(target, name, scrubbed);
    } else if (typeof value === 'object' && value !== null) {
      queue.push(value);
    }
  }
  if (target instanceof Map) {
    for (const [key, value] of target) {
      if (typeof value === 'string') {
        const scrubbed = scrubText(value, forms);
        if (scrubbed !== value) target.set(key, scrubbed);
      } else if (typeof value === 'object' && value !== null) queue.push(value);
    }
  }
}

function isErrorDetail(target: object, name: PropertyKey): boolean {
  return target instanceof Error && (name === 'message' || name === 'stack' || name === 'cause' || name === 'errors');
}

function replace(target: object, name: PropertyKey, value: string): void {
  try {
    (target as Record<PropertyKey, unknown>)[name] = value;
    if ((target as Record<PropertyKey, unknown>)[name] === value) return;
  } catch {
    // read-only in strict mode: try redefining it below
  }
  try {
    Object.defineProperty(target, name, { value });
  } catch {
    // frozen: nothing more can be done in place
  }
}

/** Live I/O objects and binary data: not ours to walk or edit. */
function isOpaque(value: object): boolean {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  const candidate = value as { pipe?: unknown; addRequest?: unknown; getReader?: unknown };
  return typeof candidate.pipe === 'function' || typeof candidate.addRequest === 'function' || typeof candidate.getReader === 'function';
}
