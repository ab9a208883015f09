import { defineConfig } from 'tsup';

/** The package's entry points (package.json `exports`), each with its declarations. */
const libraries = {
  index: 'src/index.ts',
  child: 'src/child/index.ts',
  testing: 'src/testing/index.ts',
  vitest: 'src/vitest/index.ts',
  'node-test': 'src/node-test/index.ts',
  prometheus: 'src/prometheus/index.ts',
  export: 'src/export/index.ts',
};

export default defineConfig({
  // The command (package.json `bin`) is built too, without declarations: nothing imports it.
  entry: { ...libraries, cli: 'src/cli/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: libraries },
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // `node:test` exists only under its prefix (and the prefix is right for every built-in on Node 20).
  removeNodeProtocol: false,
});
