// Builds the package: one ESM and one CommonJS bundle (esbuild), and one bundled declaration
// file per format (dts-bundle-generator), so each `exports` condition has its own types.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const entries = [
  { name: 'index', source: 'lib/index.ts' },
  { name: 'testing', source: 'lib/testing/index.ts' },
];
// Peer dependencies stay imports: the user's axios / ioredis must be the one we see.
const external = ['axios', 'ioredis'];

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
for (const { name, source } of entries) {
  const common = { entryPoints: [source], bundle: true, platform: 'node', target: 'node18', external, sourcemap: true, logLevel: 'warning' };
  await build({ ...common, format: 'esm', outfile: `dist/${name}.mjs` });
  await build({ ...common, format: 'cjs', outfile: `dist/${name}.js` });
  execFileSync(
    process.execPath,
    ['node_modules/dts-bundle-generator/dist/bin/dts-bundle-generator.js', '--silent', '--no-banner', '--inline-declare-externals', '--external-imports', 'axios', '--external-imports', 'ioredis', '-o', `dist/${name}.d.ts`, source],
    { stdio: 'inherit' },
  );
  copyFileSync(`dist/${name}.d.ts`, `dist/${name}.d.mts`);
}
console.log('built dist/');
