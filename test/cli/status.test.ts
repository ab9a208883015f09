/**
 * The status table of `procvisor start` as a pure function: snapshots and a time in, text out.
 */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Snapshot, Usage } from '../../src/index.js';
import { colors } from '../../src/cli/ui/colors.js';
import { formatBytes, formatCpu, formatUptime, renderStatusFooter, renderStatusTable } from '../../src/cli/ui/status.js';

const NOW = 1_700_000_000_000;
const plain = colors(false);

function usage(cpu: number, memory: number): Usage {
  return { time: NOW, cpu: cpu / 2, memory: memory / 2, tree: { pids: 2, cpu, memory } };
}

function row(name: string, extra: Partial<Snapshot> = {}): Snapshot {
  return { name, kind: 'process', state: 'running', parent: undefined, path: [name], depth: 0, startOrder: 0, pid: undefined, restarts: 0, startedAt: undefined, lastExit: undefined, health: 'unknown', usage: undefined, ...extra };
}

describe('renderStatusTable', () => {
  it('one aligned row per process: name, state, pid, restarts, uptime, CPU and memory of the tree, health', () => {
    const rows = [
      row('web', { pid: 4242, startedAt: NOW - 125_000, usage: usage(12.5, 45_300_000), health: 'healthy' }),
      row('worker', { state: 'backoff', restarts: 3, health: 'critical' }),
      row('clock', { state: 'exited', restarts: 1 }),
    ];
    expect(renderStatusTable(rows, NOW, plain).split('\n')).toEqual([
      'NAME    STATE    PID   RESTARTS  UPTIME  CPU    MEMORY   HEALTH',
      'web     running  4242  0         2m05s   12.5%  45.3 MB  healthy',
      'worker  backoff  -     3         -       -      -        critical',
      'clock   exited   -     1         -       -      -        -',
    ]);
  });

  it('indents the children of a supervisor under it; a supervisor has no pid, uptime or usage', () => {
    const rows = [
      row('db', { kind: 'supervisor', startedAt: NOW - 5000 }),
      row('primary', { depth: 1, parent: 'db', path: ['db', 'primary'], pid: 10, startedAt: NOW - 5000 }),
    ];
    expect(renderStatusTable(rows, NOW, plain).split('\n').slice(1)).toEqual([
      'db         running  -    0         -       -    -       -',
      '  primary  running  10   0         5s      -    -       -',
    ]);
  });

  it('cuts a long name with an ellipsis', () => {
    const name = 'a'.repeat(40);
    expect(renderStatusTable([row(name)], NOW, plain).split('\n')[1]).toMatch(new RegExp(`^${'a'.repeat(31)}… `));
  });

  it('colours states and health when colour is on, and only then', () => {
    const rows = [row('web', { pid: 1, startedAt: NOW, health: 'healthy' }), row('bad', { state: 'failed' })];
    const coloured = renderStatusTable(rows, NOW, colors(true));
    expect(coloured).toContain('\u001b[32mrunning');
    expect(coloured).toContain('\u001b[31mfailed');
    expect(stripVTControlCharacters(coloured)).toBe(renderStatusTable(rows, NOW, plain));
  });

  it('the footer counts running processes and tells how to stop', () => {
    const rows = [row('a'), row('b', { state: 'backoff' }), row('s', { kind: 'supervisor' })];
    expect(renderStatusFooter(rows, plain, 'running')).toBe('1/2 running · Ctrl-C to stop');
    expect(renderStatusFooter(rows, plain, 'stopping')).toMatch(/Ctrl-C again to kill at once/);
    expect(renderStatusFooter(rows, plain, 'stopped')).toBe('1/2 running · stopped');
  });
});

describe('cell formats', () => {
  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m00s'],
    [3_599_000, '59m59s'],
    [3_600_000, '1h00m'],
    [90_061_000, '1d01h'],
  ])('uptime %d ms → %s', (ms, text) => expect(formatUptime(ms)).toBe(text));

  it.each([
    [512, '512 B'],
    [1500, '1.5 kB'],
    [45_300_000, '45.3 MB'],
    [2_100_000_000, '2.1 GB'],
  ])('%d bytes → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it('CPU in % of one core', () => {
    expect([formatCpu(0), formatCpu(12.345), formatCpu(230)]).toEqual(['0.0%', '12.3%', '230.0%']);
  });
});
