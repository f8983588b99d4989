/**
 * The Redis clients and OpenTelemetry are optional peers: loading the main entry (either door) loads
 * none of them, so an app without Redis does not need them installed. Runs the built package (dist/).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const PEERS = /[\\/]node_modules[\\/](ioredis|ioredis5|redis|redis4|redis5|@redis|@opentelemetry)[\\/]/;

it('require() of the main entry loads neither ioredis nor node-redis (nor OpenTelemetry)', () => {
  const script = `require(${JSON.stringify(path.join(root, 'dist', 'index.js'))}); console.log(JSON.stringify(Object.keys(require.cache)));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 })) as string[];

  expect(loaded.some((file) => file.endsWith(path.join('dist', 'index.js')))).toBe(true);
  expect(loaded.filter((file) => PEERS.test(file))).toEqual([]);
});

it('the ESM entry imports neither ioredis nor node-redis (nor OpenTelemetry)', () => {
  const esm = readFileSync(path.join(root, 'dist', 'index.mjs'), 'utf8');
  const imported = [...esm.matchAll(/\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);

  expect(imported.filter((specifier) => /^(ioredis|redis|@redis\/|@opentelemetry\/)/.test(specifier as string))).toEqual([]);
});
