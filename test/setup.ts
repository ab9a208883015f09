/**
 * Per-file setup: every ProcessManager a test creates through `createManager()` is shut down after
 * the file, whatever the test did.
 */
import { afterAll } from 'vitest';
import { disposeManagers } from './helpers.js';

afterAll(async () => {
  await disposeManagers();
});
