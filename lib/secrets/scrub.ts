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

/** Put in place of whatever the walk had no budget left to scrub: withheld, never passed on unscrubbed. */
export const WITHHELD = '[withheld: too large to scrub]';

/** Where a value was found, so it can be replaced: a property of an object, or a Map entry. */
interface Slot {
  readonly holder: object;
  readonly name: unknown;
  readonly value: object;
}

/**
 * Scrubs `root` in place (and returns it) of `forms`, as derived by `secretForms`. Breadth first, so what a
 * reader looks at first (`message`, `status`, `config`) is scrubbed first; whatever is still
 * unwalked when the budget runs out (a huge response body) is replaced by `WITHHELD`. Also, with
 * or without forms: a Redis client's command arguments (`AUTH <password>`, `SET <key> <token>`) are
 * replaced wherever an error carries them.
 */
export function scrubForms<T>(root: T, forms: readonly string[]): T {
  if (typeof root !== 'object' || root === null) return root;
  const seen = new Set<object>();
  const queue: Slot[] = [{ holder: root, name: undefined, value: root }];
  let next = 0;
  for (; next < queue.length && seen.size < MAX_OBJECTS; next++) {
    const { value } = queue[next] as Slot;
    if (seen.has(value) || isOpaque(value)) continue;
    seen.add(value);
    scrubObject(value, forms, queue);
  }
  // Nothing secret to look for: a body too big to walk is left as it is.
  for (; forms.length > 0 && next < queue.length; next++) {
    const slot = queue[next] as Slot;
    if (!seen.has(slot.value) && !isOpaque(slot.value)) withhold(slot);
  }
  return root;
}

function withhold({ holder, name }: Slot): void {
  if (holder instanceof Map) holder.set(name, WITHHELD);
  else replace(holder, name as PropertyKey, WITHHELD);
}

function scrubObject(target: object, forms: readonly string[], queue: Slot[]): void {
  const record = target as Record<PropertyKey, unknown>;
  const names: PropertyKey[] = [];
  for (const name of Reflect.ownKeys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, name);
    // `message`, `stack` and `cause` are own but not enumerable on errors; inspect prints them anyway.
    if (descriptor !== undefined && 'value' in descriptor && (descriptor.enumerable === true || isErrorDetail(target, name)))
      names.push(name);
  }
  for (const name of names) {
    const value = record[name];
    if (typeof value === 'string') {
      if (forms.length === 0) continue;
      const scrubbed = scrubText(value, forms);
      if (scrubbed !== value) replace(target, name, scrubbed);
    } else if (typeof value === 'object' && value !== null) {
      if (name === 'command') hideCommandArguments(value);
      queue.push({ holder: target, name, value });
    }
  }
  if (target instanceof Map) {
    for (const [key, value] of target) {
      if (typeof value === 'string') {
        const scrubbed = forms.length === 0 ? value : scrubText(value, forms);
        if (scrubbed !== value) target.set(key, scrubbed);
      } else if (typeof value === 'object' && value !== null) queue.push({ holder: target, name: key, value });
    }
  }
}

/** ioredis and node-redis errors keep the failed command as `command: { name, args }`: AUTH's password, SET's value. */
function hideCommandArguments(command: object): void {
  const args = (command as { args?: unknown }).args;
  if (Array.isArray(args) && args.length > 0)
    replace(
      command,
      'args',
      args.map(() => REDACTED),
    );
}

function isErrorDetail(target: object, name: PropertyKey): boolean {
  return target instanceof Error && (name === 'message' || name === 'stack' || name === 'cause' || name === 'errors');
}

function replace(target: object, name: PropertyKey, value: unknown): void {
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
