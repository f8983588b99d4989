import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function files(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const full = path.join(directory, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

it('names only tests that exist in docs/reliability.md', () => {
  const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'reliability.md'), 'utf8');
  const rows = doc.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| fault') && !line.startsWith('|---'));
  const named = rows
    .map((row) => /`([^`]+)`\s*(\([^|]*\))?\s*\|\s*$/.exec(row)?.[1])
    .filter((name): name is string => name !== undefined && !name.startsWith('npm '));
  expect(named.length).toBeGreaterThan(25);
  const sources = files(path.join(__dirname, '..'))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  const missing = named.filter((name) => !sources.includes(name));
  expect(missing).toEqual([]);
});
