/**
 * The shape rules a reviewer would otherwise check by hand, on every file of lib/: small files, no
 * function taking more than one boolean positional parameter (`f(key, true, false)` says nothing at
 * the call site), and imports that only go down the layers (interceptors → refresh → stores;
 * matchers pure; errors a leaf).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const libRoot = path.resolve(__dirname, '../../lib');
const files = (function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
})(libRoot);
const relative = (file: string): string => path.relative(libRoot, file).split(path.sep).join('/');
const sourceOf = (file: string): ts.SourceFile => ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

test('no file in lib/ is over 300 lines', () => {
  const long = files.filter((file) => fs.readFileSync(file, 'utf8').split('\n').length > 301).map(relative);
  expect(long).toEqual([]);
});

test('no function in lib/ takes more than one boolean positional parameter', () => {
  const offenders: string[] = [];
  const isBoolean = (type: ts.TypeNode | undefined): boolean =>
    type !== undefined &&
    (type.kind === ts.SyntaxKind.BooleanKeyword ||
      (ts.isUnionTypeNode(type) && type.types.some((t) => t.kind === ts.SyntaxKind.BooleanKeyword)));
  for (const file of files) {
    const source = sourceOf(file);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && !ts.isFunctionTypeNode(node)) {
        const booleans = node.parameters.filter((parameter) => ts.isIdentifier(parameter.name) && isBoolean(parameter.type));
        if (booleans.length > 1) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          offenders.push(`${relative(file)}:${line + 1}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  expect(offenders).toEqual([]);
});

/** Which lib/ folders (or root files) a layer may import from; anything else is an upward or sideways import. */
const LAYER_RULES: ReadonlyArray<{ layer: RegExp; mayNotImport: RegExp; why: string }> = [
  { layer: /^errors\.ts$/, mayNotImport: /./, why: 'errors are a leaf' },
  { layer: /^matchers\//, mayNotImport: /^(interceptors|refresh|stores|oauth2|cli)\/|^attach\.ts$/, why: 'matchers are pure' },
  { layer: /^stores\//, mayNotImport: /^(interceptors|refresh|oauth2|cli)\/|^attach\.ts$/, why: 'stores sit below refresh' },
  { layer: /^refresh\//, mayNotImport: /^(interceptors|cli|oauth2)\/|^attach\.ts$/, why: 'refresh sits below the interceptors' },
  {
    layer: /^(secrets|async|reporting)\//,
    mayNotImport: /^(interceptors|refresh|stores|oauth2|cli|matchers)\/|^attach\.ts$/,
    why: 'shared helpers depend on nothing above them',
  },
  {
    layer: /^otel\//,
    mayNotImport: /^(?!reporting\/|otel\/)/,
    why: 'the OpenTelemetry bridge knows the channels, nothing else of the plugin',
  },
  { layer: /^interceptors\//, mayNotImport: /^(cli|oauth2)\/|^attach\.ts$/, why: 'attach wires the interceptors, not the reverse' },
];

test('imports only go down the layers', () => {
  const violations: string[] = [];
  for (const file of files) {
    const from = relative(file);
    for (const statement of sourceOf(file).statements) {
      if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
      const specifier = statement.moduleSpecifier;
      if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
      let target = relative(path.resolve(path.dirname(file), specifier.text));
      if (fs.existsSync(path.join(libRoot, target, 'index.ts'))) target = `${target}/index.ts`;
      else if (!target.endsWith('.ts')) target = `${target}.ts`;
      for (const rule of LAYER_RULES) {
        if (rule.layer.test(from) && rule.mayNotImport.test(target)) violations.push(`${from} → ${target} (${rule.why})`);
      }
    }
  }
  expect(violations).toEqual([]);
});

test('the unit lane (npm run test:unit) needs no build, no Redis and no child process', () => {
  const unitDir = path.resolve(__dirname);
  const needs = /child_process|from 'ioredis'|helpers\/redis-|startRedisServer|helpers\/fleet|\bdist\//;
  const offenders = fs
    .readdirSync(unitDir)
    .filter((name) => name.endsWith('.ts') && name !== 'structure.test.ts')
    .filter((name) => needs.test(fs.readFileSync(path.join(unitDir, name), 'utf8')));
  expect(offenders).toEqual([]);
});

test('only lib/otel imports @opentelemetry/api: the main entry works without it installed', () => {
  const importers = files
    .filter((file) => /from '@opentelemetry\//.test(fs.readFileSync(file, 'utf8')))
    .map(relative)
    .filter((file) => !file.startsWith('otel/'));
  expect(importers).toEqual([]);
});
