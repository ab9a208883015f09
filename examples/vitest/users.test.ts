/**
 * A server under test, started for this file: `useFixture` starts it before the tests (on a free
 * port) and stops it after them. If a test fails, the server's last output lines are printed with
 * the failure.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { injectFixture, useFixture } from 'procvisor/vitest';

const server = fileURLToPath(new URL('./server.mjs', import.meta.url));

describe('the server', () => {
  const api = useFixture({
    name: 'api',
    command: process.execPath,
    args: [server],
    port: 'auto',
    readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' },
  });

  test('answers on its own port', async () => {
    const response = await fetch(`${api.url}/hello`);
    expect(await response.text()).toBe(`hello from ${api.port}`);
  });

  test('is not the shared server', () => {
    expect(api.port).not.toBe(injectFixture('shared').port);
  });

  test('logged the request', () => {
    expect(api.logs().map((l) => l.line)).toContain('GET /hello');
  });
});
