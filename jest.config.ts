import type { Config } from 'jest';

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
  testTimeout: 20_000,
  verbose: true,
};

export default config;
