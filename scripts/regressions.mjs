#!/usr/bin/env node
/**
 * Hand-made regressions: each one removes a single safety mechanism from lib/ and runs the test
 * files that must catch it. A regression "survives" when one of its test files still passes —
 * then that test does not pin the mechanism it is named after, and this script fails.
 *
 * Runs in a scratch copy of the working tree (node_modules linked), so lib/ is never edited in
 * place. Each patch names the exact text it replaces: when the code moves on and the text is
 * gone, the script fails too, so the list cannot silently go stale.
 *
 *   npm run test:regressions                 all of them
 *   npm run test:regressions -- re-read      those whose name contains "re-read"
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** @type {Array<{ name: string; file: string; from: string; to: string; tests: string[] }>} */
const regressions = [
  {
    name: 'in-process single-flight off (every rejection starts its own flight)',
    file: 'lib/refresh/coordinator.ts',
    from: 'const joined = this.#flights.get(key);',
    to: 'const joined = undefined as Promise<TokenSet> | undefined;',
    tests: ['plugin/single-flight.test.ts', 'plugin/store-outage.test.ts'],
  },
  {
    name: 'getOrLock takes the lock even when another process holds it',
    file: 'lib/stores/redis-scripts.ts',
    from: "redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX')",
    to: "redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])",
    tests: ['fleet/fleet.test.ts'],
  },
  {
    name: 're-read after taking the lock off',
    file: 'lib/refresh/lock-attempt.ts',
    from: "if (done(current)) {\n    await guard.releaseLock(key, owner).catch(() => undefined);\n    releaseSlot?.();\n    return { outcome: 'served', token: current as TokenSet, slotWaitMs };\n  }",
    to: '',
    tests: ['plugin/rotation-safety.test.ts'],
  },
  {
    name: 'origin check always true',
    file: 'lib/interceptors/destination.ts',
    from: "if (allowed === null && !axiosLogsIn) return 'allowed';",
    to: "return 'allowed';",
    tests: ['security/destination.test.ts', 'plugin/inject.test.ts'],
  },
  {
    name: 'error redaction off',
    file: 'lib/secrets/redact.ts',
    from: 'const forms = secretForms(secrets);',
    to: 'return error;\n  const forms = secretForms(secrets);',
    tests: ['plugin/redaction.test.ts', 'security/redaction.test.ts'],
  },
  {
    name: "Node's header map (kOutHeaders) left unredacted",
    file: 'lib/secrets/redact.ts',
    from: "if (symbol.description === 'kOutHeaders') redactOutHeaders(",
    to: "if (symbol.description === 'kOutHeadersOff') redactOutHeaders(",
    tests: ['plugin/redaction.test.ts'],
  },
  {
    name: 'replay limit off by one',
    file: 'lib/interceptors/response.ts',
    from: 'if (state.replays >= (config.tokenFlight?.maxReplays ?? options.maxReplays)) {',
    to: 'if (state.replays > (config.tokenFlight?.maxReplays ?? options.maxReplays)) {',
    tests: ['unit/properties.test.ts', 'plugin/replay.test.ts'],
  },
  {
    name: 'propagation wait limit off by one',
    file: 'lib/interceptors/response.ts',
    from: 'if (attempt >= options.maxPropagationWaits) {',
    to: 'if (attempt > options.maxPropagationWaits) {',
    tests: ['unit/properties.test.ts', 'plugin/propagation.test.ts'],
  },
  {
    name: "'propagation' verdict handled as 'refresh'",
    file: 'lib/interceptors/response.ts',
    from: "if (verdict === 'propagation' && tokenAgeMs < options.propagationWindowMs) {",
    to: "if ((verdict as string) === 'never' && tokenAgeMs < options.propagationWindowMs) {",
    tests: ['plugin/propagation.test.ts'],
  },
  {
    name: 'Lua fence off (lock owner and version checks of the Redis write)',
    file: 'lib/stores/redis-scripts.ts',
    from: "if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end\nlocal stored = redis.call('HGET', KEYS[1], 'v')\nlocal current = 0\nif stored then current = tonumber(stored) end\nif current ~= tonumber(ARGV[2]) then return -1 end\n",
    to: '',
    tests: ['redis/fence.test.ts', 'redis/redis-store.test.ts'],
  },
  {
    name: 'Lua fence: lock owner check alone off',
    file: 'lib/stores/redis-scripts.ts',
    from: "if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end\nlocal stored",
    to: 'local stored',
    tests: ['redis/redis-store.test.ts'],
  },
  {
    // Under the lock the version cannot change, except by a lock-free restore after an outage.
    name: 'Lua fence: version check alone off',
    file: 'lib/stores/redis-scripts.ts',
    from: 'if current ~= tonumber(ARGV[2]) then return -1 end\nlocal deletedAt',
    to: 'local deletedAt',
    tests: ['redis/redis-store.test.ts'],
  },
  {
    name: 'stream body refusal off (a consumed stream would be replayed empty)',
    file: 'lib/interceptors/response.ts',
    from: 'if (isUnreplayableBody(config.data)) {',
    to: 'if (isUnreplayableBody(config.data) && false) {',
    tests: ['plugin/replay.test.ts'],
  },
  {
    name: 'invalid_grant memory off (the fleet presents a dead refresh token again)',
    file: 'lib/refresh/failure-memory.ts',
    from: 'if (failure instanceof ReauthorizationRequiredError) {',
    to: 'if (failure instanceof ReauthorizationRequiredError) {\n      return failure;',
    tests: ['plugin/reauthorization.test.ts'],
  },
  {
    name: 'background refresh off (a token due for refresh is sent until it expires)',
    file: 'lib/refresh/coordinator.ts',
    from: 'this.#refreshInBackground(key, entry);\n      return entry.token;',
    to: 'return entry.token;',
    tests: ['plugin/inject.test.ts'],
  },
];

const filter = process.argv[2];
const selected = regressions.filter((r) => filter === undefined || r.name.includes(filter));
if (selected.length === 0) {
  console.error(`no regression matches "${filter}"`);
  process.exit(2);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'atf-regressions-'));
const skip = new Set(['node_modules', '.git', 'dist', 'reports', '.stryker-tmp', '.bench-tmp', 'coverage']);
fs.cpSync(root, scratch, { recursive: true, filter: (source) => !skip.has(path.basename(source)) || path.dirname(source) !== root });
fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');

/** Runs one test file in the scratch copy; true when it passed. */
function passes(testFile) {
  const run = spawnSync(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), '--silent', `__tests__/${testFile}`], {
    cwd: scratch,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 180_000,
  });
  return run.status === 0;
}

let survivors = 0;
try {
  const baseline = [...new Set(selected.flatMap((r) => r.tests))].filter((test) => !passes(test));
  if (baseline.length > 0) throw new Error(`these tests fail without any regression: ${baseline.join(', ')}`);

  for (const regression of selected) {
    const target = path.join(scratch, regression.file);
    const original = fs.readFileSync(target, 'utf8');
    const occurrences = original.split(regression.from).length - 1;
    if (occurrences !== 1)
      throw new Error(`"${regression.name}": expected its text once in ${regression.file}, found it ${occurrences} times`);
    fs.writeFileSync(target, original.replace(regression.from, regression.to));
    try {
      const outcomes = regression.tests.map((test) => ({ test, caught: !passes(test) }));
      const survived = outcomes.some((o) => !o.caught);
      if (survived) survivors += 1;
      console.log(`${survived ? 'SURVIVED' : 'killed  '}  ${regression.name}`);
      for (const { test, caught } of outcomes) console.log(`            ${caught ? 'fails ' : 'passes'}  ${test}`);
    } finally {
      fs.writeFileSync(target, original);
    }
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

console.log(survivors === 0 ? `\nall ${selected.length} regressions killed` : `\n${survivors} of ${selected.length} regressions survived`);
process.exit(survivors === 0 ? 0 : 1);
