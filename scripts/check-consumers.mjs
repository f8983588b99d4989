// `npm run test:consumers`: the package as users get it. Packs the tarball, installs it into a
// throwaway directory, and there:
// - type-checks every ```ts snippet of README.md and docs/ under strict nodenext settings
//   (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess), and checks that a snippet
//   marked `<!-- snippet: path -->` is exactly that file;
// - type-checks and runs an ESM consumer, a CommonJS consumer and a bundler-mode consumer (bundled
//   with esbuild);
// - runs the shipped store contract suite under node:test against MemoryTokenStore and Redis.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const here = path.join(root, 'scripts', 'consumer');
const started = Date.now();
const run = (command, args, cwd, options = {}) =>
  execFileSync(command, args, {
    cwd,
    stdio: options.capture ? 'pipe' : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
const step = (what) => console.log(`\n▶ ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

step('build and pack');
run(process.execPath, ['scripts/build.mjs', '--if-stale'], root);
const work = mkdtempSync(path.join(tmpdir(), 'atf-consumers-'));
const tarball = path.join(
  work,
  run('npm', ['pack', '--silent', '--pack-destination', work], root, { capture: true }).trim().split('\n').pop(),
);

step(`install into ${work}`);
const devVersion = (name) => JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
writeFileSync(
  path.join(work, 'package.json'),
  JSON.stringify({
    name: 'consumers',
    private: true,
    dependencies: {
      'axios-token-flight': `file:${tarball}`,
      axios: devVersion('axios'),
      ioredis: devVersion('ioredis'),
      // README and docs/redis.md show node-redis clients (createClient, createCluster, createSentinel).
      redis: devVersion('redis'),
      typescript: devVersion('typescript'),
      '@types/node': devVersion('@types/node'),
      esbuild: devVersion('esbuild'),
      'axios-retry': devVersion('axios-retry'),
      // docs/observability.md wires the OpenTelemetry SDK 2.x.
      '@opentelemetry/api': devVersion('@opentelemetry/api'),
      '@opentelemetry/sdk-trace-base': devVersion('@opentelemetry/sdk-trace-base'),
      '@opentelemetry/sdk-metrics': devVersion('@opentelemetry/sdk-metrics'),
      '@opentelemetry/instrumentation-http': devVersion('@opentelemetry/instrumentation-http'),
      // Named in docs snippets (docs/stores.md, docs/semantics.md): compiled against their real types.
      pg: '^8',
      '@types/pg': '^8',
      bullmq: '^5',
      '@types/jest': devVersion('@types/jest'),
    },
  }),
);
run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], work);

const strict = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
};
const project = (name, type, compilerOptions, files) => {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...strict, ...compilerOptions }, include: files }));
  return dir;
};
const tsc = path.join(work, 'node_modules', 'typescript', 'bin', 'tsc');

step('docs snippets: type-check under strict nodenext ESM');
// docs/testing.md's snippets are jest tests: jest's globals are typed for them.
const snippetsDir = project('snippets', 'module', { module: 'nodenext', moduleResolution: 'nodenext', types: ['node', 'jest'] }, [
  '*.mts',
  '*.ts',
]);
cpSync(path.join(here, 'globals.d.ts'), path.join(snippetsDir, 'globals.d.ts'));
const publicNames = Object.keys(createRequire(path.join(work, 'index.js'))('axios-token-flight')).filter((name) => name !== 'default');
let snippetCount = 0;
for (const doc of markdownFiles()) {
  const text = readFileSync(doc, 'utf8');
  for (const [index, { code, file }] of snippetsOf(text).entries()) {
    const where = `${path.relative(root, doc)} snippet ${index + 1}`;
    if (file !== undefined) {
      if (readFileSync(path.join(root, file), 'utf8').trimEnd() !== code.trimEnd()) {
        throw new Error(`${where} is marked as ${file} but differs from it: paste the file again`);
      }
      // Also under its own name, for the snippets that import it (`./salesforce-orgs.js`).
      writeFileSync(path.join(snippetsDir, path.basename(file)), code);
    }
    // A snippet without imports is a fragment of a set-up: it gets the package's names (and axios) for free.
    const prelude = /^import /m.test(code)
      ? ''
      : `import axios from 'axios';\nimport { ${publicNames.join(', ')} } from 'axios-token-flight';\n`;
    const name = `${path.relative(root, doc).replace(/[^a-z0-9]+/gi, '-')}-${index + 1}.mts`;
    writeFileSync(path.join(snippetsDir, name), `// ${where}\n${prelude}${code}\nexport {};\n`);
    snippetCount += 1;
  }
}
run(process.execPath, [tsc, '-p', snippetsDir], snippetsDir);
console.log(`${snippetCount} snippets compile`);

step('ESM consumer: type-check and run');
const esm = project('esm', 'module', { module: 'nodenext', moduleResolution: 'nodenext', noEmit: false, outDir: 'out' }, ['*.mts']);
cpSync(path.join(here, 'esm', 'main.mts'), path.join(esm, 'main.mts'));
run(process.execPath, [tsc, '-p', esm], esm);
run(process.execPath, ['out/main.mjs'], esm);

step('CommonJS consumer: type-check, compile, run');
const cjs = project(
  'cjs',
  'commonjs',
  { module: 'nodenext', moduleResolution: 'nodenext', noEmit: false, outDir: 'out', esModuleInterop: true },
  ['*.ts'],
);
cpSync(path.join(here, 'cjs', 'main.ts'), path.join(cjs, 'main.ts'));
run(process.execPath, [tsc, '-p', cjs], cjs);
run(process.execPath, ['out/main.js'], cjs);

step('bundler-mode consumer: type-check, bundle with esbuild, run');
const bundler = project('bundler', 'module', { module: 'esnext', moduleResolution: 'bundler' }, ['*.ts']);
cpSync(path.join(here, 'bundler', 'main.ts'), path.join(bundler, 'main.ts'));
run(process.execPath, [tsc, '-p', bundler], bundler);
run(
  path.join(work, 'node_modules', '.bin', 'esbuild'),
  [
    'main.ts',
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--outfile=out/main.mjs',
    '--log-level=warning',
    '--banner:js=import { createRequire } from "module"; const require = createRequire(import.meta.url);',
  ],
  bundler,
);
run(process.execPath, ['out/main.mjs'], bundler);

step('store contract suite under node:test, from the packed package');
cpSync(path.join(here, 'contract.test.mjs'), path.join(esm, 'contract.test.mjs'));
run(process.execPath, ['--test', '--test-reporter=dot', 'contract.test.mjs'], esm);

step('the installed `axios-token-flight` command (package bin) answers --help');
const help = run(path.join(work, 'node_modules', '.bin', 'axios-token-flight'), ['--help'], esm, { capture: true });
if (!help.includes('usage: axios-token-flight <command>')) throw new Error(`axios-token-flight --help printed: ${help}`);

rmSync(work, { recursive: true, force: true });
step('consumers: all passed');

function markdownFiles() {
  const docs = path.join(root, 'docs');
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
    );
  return [path.join(root, 'README.md'), ...walk(docs).filter((file) => file.endsWith('.md'))];
}

/** ```ts blocks, with the file a preceding `<!-- snippet: path -->` says the block is. */
function snippetsOf(markdown) {
  const blocks = [];
  const pattern = /(?:<!-- snippet: (\S+) -->\n)?```ts\n([\s\S]*?)```/g;
  for (const match of markdown.matchAll(pattern)) blocks.push({ file: match[1], code: match[2] });
  return blocks;
}
