/**
 * Runs in parallel with users.test.ts: its own fixture gets a port of its own, and the server the
 * global setup started is shared.
 */
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { injectFixture, useFixture } from 'procvisor/vitest';

const server = fileURLToPath(new URL('./server.mjs', import.meta.url));

const own = useFixture({
  name: 'own',
  command: process.execPath,
  args: [server],
  port: 'auto',
  readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' },
});

test('the shared server answers', async () => {
  const shared = injectFixture('shared');
  const response = await fetch(`${shared.url}/hello`);
  expect(await response.text()).toBe(`hello from ${shared.port}`);
});

test('this file has a server of its own', async () => {
  const response = await fetch(`${own.url}/hello`);
  expect(response.status).toBe(200);
  expect(own.port).not.toBe(injectFixture('shared').port);
});
