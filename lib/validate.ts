/**
 * Reading and checking options, for every public entry point (attach, stores, oauth2 helpers,
 * matcher factories): a bad option is a `TypeError` that names it, raised where it is given —
 * including options behind a getter that throws or a revoked Proxy, which would otherwise surface
 * as some unrelated error, later.
 */
import { describe } from './describe';

/** Node clamps a longer timer to 1 ms (with a warning): a "10 year" timeout would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const PREFIX = 'axios-token-flight: ';

/** A `TypeError` naming `option` and what it must be. `where` prefixes it (`oauth2.refreshTokenGrant: `). */
export function optionError(where: string, option: string, expected: string, value: unknown): TypeError {
  return new TypeError(`${PREFIX}${where}option \`${option}\` must be ${expected}, got ${describe(value)}`);
}

/**
 * Runs `read` (which reads and checks `option`); anything it throws that is not already one of our
 * `TypeError`s — a getter's own error, a revoked Proxy — becomes one that names the option. The
 * original error's message is left out: it may quote the value.
 */
export function readingOption<T>(where: string, option: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith(PREFIX)) throw error;
    const name = error instanceof Error ? error.name : describe(error);
    throw new TypeError(`${PREFIX}${where}option \`${option}\` could not be read (${name} thrown while reading it)`);
  }
}

/** The own property names of an options object, or a `TypeError` if even that cannot be read. */
export function optionNames(where: string, options: object): string[] {
  try {
    return Object.keys(options);
  } catch (error) {
    const name = error instanceof Error ? error.name : describe(error);
    throw new TypeError(`${PREFIX}${where}options could not be read (${name} thrown while listing them)`);
  }
}

/**
 * A copy of `options` holding the `known` names it has, each read once through `readingOption`, so
 * later checks never touch a getter again. Unknown own names are a `TypeError` (a typo must not be
 * silently ignored).
 */
export function snapshotOptions<K extends string>(where: string, options: object, known: readonly K[]): Partial<Record<K, unknown>> {
  const knownSet = new Set<string>(known);
  for (const name of optionNames(where, options)) {
    if (!knownSet.has(name)) throw new TypeError(`${PREFIX}${where}unknown option \`${name}\``);
  }
  const snapshot: Partial<Record<K, unknown>> = {};
  for (const name of known) {
    const value = readingOption(where, name, () => (options as Record<string, unknown>)[name]);
    if (value !== undefined) snapshot[name] = value;
  }
  return snapshot;
}

/** An integer number of milliseconds in `[min, MAX_TIMER_MS]`, or `fallback` when absent. */
export function msOption(where: string, option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw optionError(where, option, `an integer number of milliseconds from ${min} to ${MAX_TIMER_MS} (2^31 − 1)`, value);
  }
  return value;
}

/** A whole number from `min` (0 or 1) up, or `fallback` when absent. */
export function countOption(where: string, option: string, value: unknown, fallback: number, min: 0 | 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw optionError(where, option, min === 0 ? 'a non-negative integer' : 'a positive integer', value);
  }
  return value;
}
