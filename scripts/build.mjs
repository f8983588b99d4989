// Builds the package: one implementation, two doors.
// - CommonJS bundles (esbuild): dist/index.js and dist/testing.js; testing uses index's copy.
// - ESM entries that re-export the CommonJS build: `import` and `require` get the very same classes,
//   so `instanceof` and `isRetryableAuthError` hold in an app that mixes both (no dual-package hazard).
// - Declarations from tsc (emit only, ~4 s): dist/types for `require`, and an ESM-format copy in
//   dist/types-esm for `import` (relative specifiers given their `.js`): each consumer's types see
//   the axios types of their own module format, or an ESM app's AxiosInstance would not be
//   assignable to the plugin's.
// `--if-stale` skips the build when dist/ is newer than every input (demo, example and bench use it).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const STAMP = 'dist/.built';
const INPUTS = ['lib', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);

const started = Date.now();
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');

// Peer dependencies stay imports: the user's axios / ioredis must be the one we see.
const external = ['axios', 'ioredis', 'jose'];
const common = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', external, sourcemap: true, logLevel: 'warning' };
/** lib/testing and lib/cli import the public API from `..`: resolved to the main bundle, not copied into theirs. */
const mainEntryIsExternal = {
  name: 'main-entry-external',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.(\/index)?$/ }, (args) =>
      ['testing', 'cli'].some((dir) => args.importer.includes(`${path.sep}lib${path.sep}${dir}${path.sep}`))
        ? { path: './index.js', external: true }
        : undefined,
    );
  },
};
await Promise.all([
  build({ ...common, entryPoints: ['lib/index.ts'], outfile: 'dist/index.js' }),
  build({ ...common, entryPoints: ['lib/testing/index.ts'], outfile: 'dist/testing.js', plugins: [mainEntryIsExternal] }),
  // `axios-token-flight/otel`: the only bundle that imports @opentelemetry/api (an optional peer).
  build({ ...common, entryPoints: ['lib/otel/index.ts'], outfile: 'dist/otel.js', external: [...external, '@opentelemetry/api'] }),
  // The `axios-token-flight` command (package.json `bin`).
  build({
    ...common,
    entryPoints: ['lib/cli/bin.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [mainEntryIsExternal],
  }),
]);
chmodSync('dist/cli.js', 0o755);

const require = createRequire(import.meta.url);
for (const name of ['index', 'testing', 'otel']) {
  const exported = Object.keys(require(path.resolve(`dist/${name}.js`))).filter((key) => key !== 'default' && key !== '__esModule');
  writeFileSync(
    `dist/${name}.mjs`,
    `// ESM entry: the CommonJS build's own exports, so import and require share one copy.\n` +
      `import cjs from './${name}.js';\n\nexport const { ${exported.join(', ')} } = cjs;\n`,
  );
  const types = name === 'index' ? 'index' : `${name}/index`;
  writeFileSync(`dist/${name}.d.ts`, `export * from './types/${types}';\n`);
  writeFileSync(`dist/${name}.d.mts`, `export * from './types-esm/${types}.js';\n`);
}

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
cpSync('dist/types', 'dist/types-esm', { recursive: true });
writeFileSync('dist/types-esm/package.json', '{ "type": "module" }\n');
for (const file of declarationFiles('dist/types-esm')) writeFileSync(file, withJsExtensions(file, readFileSync(file, 'utf8')));
writeFileSync(STAMP, new Date().toISOString());
console.log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);

function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? declarationFiles(full) : entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** `from './attach'` → `from './attach.js'`, `'./oauth2'` → `'./oauth2/index.js'`: what ESM resolution needs. */
function withJsExtensions(file, text) {
  return text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\2/g, (_whole, lead, quote, specifier) => {
    const target = path.resolve(path.dirname(file), specifier);
    if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${specifier}.js${quote}`;
    if (existsSync(path.join(target, 'index.d.ts'))) return `${lead}${quote}${specifier}/index.js${quote}`;
    throw new Error(`${file}: cannot resolve ${specifier}`);
  });
}

function isStale() {
  if (!existsSync(STAMP)) return true;
  const builtAt = statSync(STAMP).mtimeMs;
  return INPUTS.some((input) => newestMtime(input) > builtAt);
}

function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((child) => newestMtime(path.join(entry, child))));
}
