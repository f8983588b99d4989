/**
 * The in-process token cache's bound (CLOCK approximation of LRU) and its one exception: while the
 * store is unreachable or a write-back is pending, nothing is dropped (a copy may hold the only
 * live refresh token), and the bound is restored on the next insert once it may be.
 */
import { TokenCache } from '../../lib/refresh/token-cache';
import type { TokenSet } from '../../lib';

const token = (version = 1): TokenSet => ({
  accessToken: `at-${version}`,
  version,
  issuedAt: Date.now(),
  expiresAt: Date.now() + 3_600_000,
  extra: {},
});

function cache(maxEntries: number) {
  const evicted: string[] = [];
  let evictable = true;
  const tokens = new TokenCache({
    skewMs: 60_000,
    random: () => 0.5,
    maxEntries,
    canEvict: () => evictable,
    onEvict: (key) => evicted.push(key),
  });
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

it('a request about to send the token (use) counts as a use, like a valid() read', () => {
  const { tokens, evicted } = cache(2);
  tokens.accept('a', token());
  tokens.accept('b', token());
  tokens.use('a');

  tokens.accept('c', token());

  expect(evicted).toEqual(['b']);
});

it('when every entry was used, a full sweep clears the flags and drops the oldest', () => {
  const { tokens, evicted } = cache(3);
  for (const key of ['a', 'b', 'c']) tokens.accept(key, token());
  for (const key of ['a', 'b', 'c']) tokens.valid(key);

  tokens.accept('d', token());

  expect(evicted).toEqual(['a']);
  expect(tokens.size).toBe(3);
  // The sweep cleared the survivors' flags: next time 'b' goes, not 'd', used since.
  tokens.valid('d');
  tokens.accept('e', token());
  expect(evicted).toEqual(['a', 'b']);
});

it('never drops the entry being inserted, even when it is the only unused one', () => {
  const { tokens, evicted } = cache(1);
  tokens.accept('a', token());
  tokens.valid('a');

  tokens.accept('b', token());

  expect(evicted).toEqual(['a']);
  expect(tokens.get('b')).toBeDefined();
});

it('the same version issued again (another token under that number) replaces the copy', () => {
  const { tokens } = cache(2);
  const first = token(1);
  tokens.accept('a', first);
  const reissued: TokenSet = { ...token(1), accessToken: 'at-reissued', issuedAt: first.issuedAt + 1 };

  expect(tokens.accept('a', reissued).token.accessToken).toBe('at-reissued');
  expect(tokens.get('a')?.token.accessToken).toBe('at-reissued');
});

it('the very same token accepted again keeps its entry (and its jittered due time)', () => {
  const { tokens } = cache(2);
  const first = token(1);
  const entry = tokens.accept('a', first);

  expect(tokens.accept('a', { ...first })).toBe(entry);
});

it('a change notice flags the copy for a re-read, except for the version noticed (our own write coming back)', () => {
  const { tokens } = cache(2);
  tokens.accept('a', token(2));

  tokens.markChanged('a', 2);
  expect(tokens.valid('a')?.version).toBe(2);

  tokens.markChanged('a', 3);
  expect(tokens.valid('a')).toBeUndefined();
});

it('a notice for a lower version is re-read too: it may be a newer grant (setToken after the store lost data)', () => {
  const { tokens } = cache(2);
  tokens.accept('a', token(2));

  tokens.markChanged('a', 1);

  expect(tokens.valid('a')).toBeUndefined();
});

it('a token of a newer grant replaces the copy whatever its version; an older grant never does', () => {
  const { tokens } = cache(2);
  tokens.accept('a', { ...token(5), generation: 1_000 });

  tokens.accept('a', { ...token(9), generation: 500 });
  expect(tokens.get('a')?.token.version).toBe(5);
  tokens.accept('a', { ...token(1), generation: 2_000 });
  expect(tokens.get('a')?.token).toMatchObject({ version: 1, generation: 2_000 });
});

it('a change notice without a version flags the copy', () => {
  const { tokens } = cache(2);
  tokens.accept('a', token(2));

  tokens.markChanged('a', undefined);

  expect(tokens.valid('a')).toBeUndefined();
});

it('clear() drops every copy', () => {
  const { tokens } = cache(2);
  tokens.accept('a', token());
  tokens.accept('b', token());

  tokens.clear();

  expect(tokens.size).toBe(0);
  expect(tokens.get('a')).toBeUndefined();
});
