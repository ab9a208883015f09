/**
 * node:test with a fixture: `useFixture` starts the server in `before` (on a free port) and stops
 * it in `after`; a failing test gets the server's last output lines as a diagnostic.
 *
 *   node --test examples/node-test/
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertNoLeaks, startFixture, useFixture } from 'procvisor/node-test';

const server = fileURLToPath(new URL('./server.mjs', import.meta.url));

describe('the server', () => {
  const api = useFixture({
    name: 'api',
    command: process.execPath,
    args: [server],
    port: 'auto',
    readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' },
  });

  it('answers on its own port', async () => {
    const response = await fetch(`${api.url}/hello`);
    assert.equal(await response.text(), `hello from ${api.port}`);
  });

  it('restarts on the same port', async () => {
    const before = api.pid;
    await api.restart();
    assert.notEqual(api.pid, before);
    assert.equal((await fetch(`${api.url}/health`)).status, 200);
  });
});

it('a fixture started by hand is stopped by `await using`, or by its stop()', async () => {
  const extra = await startFixture({
    command: process.execPath,
    args: [server],
    port: 'auto',
    readiness: { type: 'http', url: 'http://127.0.0.1:{port}/health' },
  });
  try {
    assert.equal((await fetch(`${extra.url}/hello`)).status, 200);
  } finally {
    await extra.stop();
  }
  // Nothing this file started is left: the describe's fixture was stopped after its tests.
  await assertNoLeaks();
});
