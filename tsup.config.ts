import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    child: 'src/child/index.ts',
    testing: 'src/testing/index.ts',
    vitest: 'src/vitest/index.ts',
    'node-test': 'src/node-test/index.ts',
    prometheus: 'src/prometheus/index.ts',
    export: 'src/export/index.ts',
    cli: 'src/cli/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: {
    entry: {
      index: 'src/index.ts',
      child: 'src/child/index.ts',
      testing: 'src/testing/index.ts',
      vitest: 'src/vitest/index.ts',
      'node-test': 'src/node-test/index.ts',
      prometheus: 'src/prometheus/index.ts',
      export: 'src/export/index.ts',
    },
  },
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // `node:test` exists only under its prefix (and the prefix is right for every built-in on Node 20).
  removeNodeProtocol: false,
});
