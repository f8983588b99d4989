/**
 * The in-process token cache's bound (CLOCK approximation of LRU) and its one exception: while the
 * store is unreachable or a write-back is pending, nothing is dropped (a copy may hold the only
 * live refresh token), and the bound is restored on the next insert once it may be.
 */
import { TokenCache } from '../lib/refresh/token-cache';
import type { TokenSet } from '../lib';

const token = (version = 1): TokenSet => ({ accessToken: `at-${version}`, version, issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000, extra: {} });

function cache(maxEntries: number) {
  const evicted: string[] = [];
  let evictable = true;
  const tokens = new TokenCache({ skewMs: 60_000, random: () => 0.5, maxEntries, canEvict: () => evictable, onEvict: (key) => evicted.push(key) });
  return { tokens, evicted, setEvictable: (value: boolean) => (evictable = value) };
}

it('holds at most maxEntries, dropping the least recently used first, and reports each drop', () => {
  const { tokens, evicted } = cache(3);
  for (const key of ['a', 'b', 'c']) tokens.accept(key, token());
  tokens.valid('a'); // used

  tokens.accept('d', token());
  tokens.accept('e', token());

  expect(tokens.size).toBe(3);
  expect(evicted).toEqual(['b', 'c']);
  expect(tokens.get('a')).toBeDefined();
});

it('drops nothing while eviction is not safe, then shrinks back to the bound', () => {
  const { tokens, evicted, setEvictable } = cache(2);
  setEvictable(false);
  for (const key of ['a', 'b', 'c', 'd']) tokens.accept(key, token());
  expect(tokens.size).toBe(4);
  expect(evicted).toEqual([]);

  setEvictable(true);
  tokens.accept('e', token());

  expect(tokens.size).toBe(2);
  expect(evicted).toEqual(['a', 'b', 'c']);
});

it('a newer version of a held key replaces it in place, without evicting anything', () => {
  const { tokens, evicted } = cache(2);
  tokens.accept('a', token(1));
  tokens.accept('b', token(1));

  tokens.accept('a', token(2));

  expect(evicted).toEqual([]);
  expect(tokens.get('a')?.token.version).toBe(2);
});
