import type { Config } from 'jest';
import base from './jest.config';

/**
 * The suite Stryker runs against each mutant (`npm run test:mutation`). Left out: suites whose code
 * under test runs in child processes (fleet, chaos, soak, the build and package checks) — a mutant
 * is only active inside the jest process, so they cannot kill one and only cost time — and the docs
 * table check. Everything that exercises lib/ in-process stays in.
 */
// The property suite runs for nearly every mutant; its fixed limit-reaching examples run first
// anyway, so fewer random scenarios here cost little in kills and much in time.
process.env['PROPERTY_RUNS'] ??= '10';

const config: Config = {
  ...base,
  // Stryker runs each mutant's tests with --findRelatedTests <mutated file>; jest finds related
  // tests only through files in its roots, so lib/ must be one (with __tests__ alone, no test is
  // related, jest exits 0 with "No tests found", and every covered mutant survives).
  roots: ['<rootDir>/__tests__', '<rootDir>/lib'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/__tests__/(fleet|package)/',
    '/__tests__/unit/reliability-doc\\.test\\.ts$',
    '/__tests__/soak/',
  ],
  verbose: false,
};

export default config;
