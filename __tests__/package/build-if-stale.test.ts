/**
 * `npm run demo` / `example` / `bench` build with `--if-stale`: nothing is rebuilt while dist/ is
 * newer than every input, and a change under lib/ rebuilds. Runs in a copy of the project, so the
 * dist/ other tests load is never touched.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
let copy: string;

beforeAll(() => {
  copy = mkdtempSync(path.join(tmpdir(), 'atf-build-'));
  for (const entry of ['lib', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'])
    cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const build = (...args: string[]): string =>
  execFileSync(process.execPath, ['scripts/build.mjs', ...args], { cwd: copy, encoding: 'utf8' });
const builtAt = (): number => statSync(path.join(copy, 'dist', '.built')).mtimeMs;

it('skips the build while dist/ is fresh, and rebuilds after a change under lib/', () => {
  expect(build('--if-stale')).toMatch(/built dist\//); // nothing built yet
  const first = builtAt();

  expect(build('--if-stale')).toBe('');
  expect(builtAt()).toBe(first);

  const later = new Date(Date.now() + 2_000);
  utimesSync(path.join(copy, 'lib', 'stores', 'memory.ts'), later, later);
  expect(build('--if-stale')).toMatch(/built dist\//);
  expect(builtAt()).toBeGreaterThan(first);
}, 60_000);
