/**
 * Runs once per test run, in vitest's main process: reaps leftovers of a crashed earlier run, then
 * starts one server that every test file shares (`injectFixture('shared')`), stopped at the end.
 */
import { fileURLToPath } from 'node:url';
import { defineGlobalSetup } from 'procvisor/vitest';

const server = fileURLToPath(new URL('./server.mjs', import.meta.url));

export default defineGlobalSetup({
  shared: {
    command: process.execPath,
    args: [server],
    port: 'auto',
    readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' },
  },
});
