import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    // Reaps what a crashed earlier run left, and starts the fixtures every file shares.
    globalSetup: ['./global-setup.ts'],
    // Test files run in parallel workers: each fixture with `port: 'auto'` gets a port of its own.
    fileParallelism: true,
  },
});
