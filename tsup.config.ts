import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'lib/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node18',
  // Peer dependencies stay imports: the user's axios / ioredis instance must be the one we see.
  external: ['axios', 'ioredis'],
});
