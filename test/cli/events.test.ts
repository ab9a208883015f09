/**
 * The lines the command writes of its own: one per lifecycle event of `start`, one per command
 * end of `run`. Pure formatting, from payloads.
 */
import { describe, expect, it } from 'vitest';
import type { EventPayload } from '../../src/index.js';
import { colors } from '../../src/cli/ui/colors.js';
import { formatLifecycle } from '../../src/cli/ui/events.js';
import { describeJobEnd } from '../../src/cli/ui/jobs.js';

const plain = colors(false);
const base = { name: 'web', time: 0, path: ['web'] };

describe('formatLifecycle', () => {
  it.each([
    ['spawn', { ...base, pid: 42, restarts: 0 }, '[procvisor] web spawned (pid 42)'],
    ['spawn', { ...base, pid: 43, restarts: 2 }, '[procvisor] web spawned (pid 43, restart 2)'],
    ['ready', { ...base, pid: 42, data: undefined }, '[procvisor] web is ready'],
    ['exit', { ...base, pid: 42, exitCode: 1, signal: null, class: 'abnormal', reason: 'exit', willRestart: true }, '[procvisor] web exited with code 1; it will be restarted'],
    ['exit', { ...base, pid: 42, exitCode: null, signal: 'SIGKILL', class: 'abnormal', reason: 'liveness', willRestart: false }, '[procvisor] web exited by SIGKILL (liveness); not restarted'],
    ['restart', { ...base, attempt: 2, delay: 200 }, '[procvisor] web restarts in 200 ms (attempt 2)'],
    ['give-up', { ...base, maxRestarts: 5, period: 10_000 }, '[procvisor] web gave up: more than 5 restarts within 10 s'],
    ['start-failed', { ...base, error: new Error('spawn node ENOENT\nmore') }, '[procvisor] web failed to start: spawn node ENOENT'],
    ['stop', { ...base, pid: 42, exitCode: null, signal: 'SIGTERM' }, '[procvisor] web stopped (SIGTERM)'],
    ['stop', { ...base, pid: 42, exitCode: 0, signal: null }, '[procvisor] web stopped (code 0)'],
    ['kill', { ...base, pids: [42, 43] }, '[procvisor] web did not stop in time: SIGKILL sent to 2 process(es)'],
    ['limit', { ...base, resource: 'memory', level: 'limit', value: 300e6, limit: 256e6, action: 'restart' }, '[procvisor] web memory 300 MB over its limit level 256 MB: restart'],
  ] as const)('%s', (event, payload, line) => {
    expect(formatLifecycle(event, payload as EventPayload<typeof event>, plain)).toBe(line);
  });

  it('colours the tag and the bad news when colour is on', () => {
    const line = formatLifecycle('give-up', { ...base, maxRestarts: 1, period: 1000 }, colors(true)) ?? '';
    expect(line).toContain('\u001b[2m[procvisor]');
    expect(line).toContain('\u001b[31mweb gave up');
  });
});

describe('describeJobEnd', () => {
  const job = { ...base, status: 'succeeded', exitCode: 0, signal: null, attempts: 1, durationMs: 1234, output: [] } as EventPayload<'job'>;

  it.each([
    [{}, 'web exited with code 0 after 1.2 s'],
    [{ status: 'failed', exitCode: 3, durationMs: 80 }, 'web exited with code 3 after 80 ms'],
    [{ status: 'cancelled', exitCode: null, signal: 'SIGTERM' }, 'web was stopped (it exited by SIGTERM) after 1.2 s'],
    [{ status: 'cancelled', exitCode: null, attempts: 0 }, 'web was not started'],
    [{ status: 'failed', exitCode: null, attempts: 1, error: new Error('spawn x ENOENT') }, 'web failed: spawn x ENOENT'],
    [{ status: 'timed-out', exitCode: null, signal: 'SIGTERM' }, 'web timed out (it exited by SIGTERM) after 1.2 s'],
  ] as const)('%o', (change, text) => {
    expect(describeJobEnd({ ...job, ...change } as EventPayload<'job'>)).toBe(text);
  });
});
