/**
 * Defaults are stated once, in `DEFAULTS` (lib/options.ts); the README's options table and the
 * JSDoc users see on hover must say the same, or a user tunes against a number that is not true.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULTS } from '../../lib/options';

/** A default as the README writes it: `60000`, `'local'`, `{ initial: 500, max: 8000 }`. */
function render(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object' && value !== null) {
    return `{ ${Object.entries(value)
      .map(([name, inner]) => `${name}: ${render(inner)}`)
      .join(', ')} }`;
  }
  return String(value);
}

const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
const table = readme.slice(readme.indexOf('## Options'));
const documented = new Map(
  [...table.matchAll(/^\| `(\w+)[^`]*` \| `([^`]+)` \|/gm)].map((match) => [match[1] as string, match[2] as string]),
);

test.each(Object.entries(DEFAULTS))('the README states the default of `%s` as DEFAULTS does', (name, value) => {
  expect(documented.get(name)).toBe(render(value));
});

test('the JSDoc @default of each numeric option is the one in DEFAULTS', () => {
  const source = fs.readFileSync(path.resolve(__dirname, '../../lib/options.ts'), 'utf8');
  const stated = new Map(
    [...source.matchAll(/@default ([\d_]+)\s*\*\/\n\s+readonly (\w+)\?/g)].map((match) => [
      match[2] as string,
      Number((match[1] as string).replaceAll('_', '')),
    ]),
  );
  const numeric = Object.entries(DEFAULTS).filter(([, value]) => typeof value === 'number');
  expect(numeric.length).toBeGreaterThan(4);
  for (const [name, value] of numeric) expect([name, stated.get(name)]).toEqual([name, value]);
});
