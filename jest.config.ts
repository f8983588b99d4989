import type { Config } from 'jest';

/**
 * `AXIOS_UNDER_TEST=1.6.0 npx jest …` runs the suite — the plugin included — against another axios
 * from the peer range (installed side by side as `axios-<version>` dev dependencies), so behaviour
 * that differs between axios versions is tested on each of them without reinstalling anything.
 */
const axiosUnderTest = process.env['AXIOS_UNDER_TEST'];

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      // Type-checking is `npm run typecheck`'s job; here we only transpile, to CommonJS.
      { tsconfig: { module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true }, diagnostics: false },
    ],
  },
  moduleNameMapper: {
    // Examples and recipes import the package by name, as users do; under jest that is the source.
    '^axios-token-flight$': '<rootDir>/lib',
    '^axios-token-flight/testing$': '<rootDir>/lib/testing',
    '^axios-token-flight/otel$': '<rootDir>/lib/otel',
    ...(axiosUnderTest === undefined || axiosUnderTest === '' ? {} : { '^axios$': `axios-${axiosUnderTest}` }),
  },
  testTimeout: 20_000,
  verbose: true,
};

export default config;
