/**
 * `toSystemd`: every unit reads back (by systemd.syntax's rules) to the settings its spec says:
 * the exact argv and environment, restart, backoff, intensity, stop, limits and dependencies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toSystemd } from '../../src/export/index.js';
import { commandLine, environmentLine } from '../../src/export/systemd-syntax.js';
import { api, collect, db, TREE } from './specs.js';
import { environmentOf, execArgv, parseUnit, setting, settings, splitWords } from './validators.js';

describe('toSystemd', () => {
  const w = collect();
  const files = toSystemd(TREE, { onWarning: w.onWarning });
  const unit = (name: string) => parseUnit(files[name] as string);

  it('writes a unit per process, a template and target for instances, a socket unit, a target per supervisor', () => {
    expect(Object.keys(files)).toEqual(['migrate.service', 'db.service', 'api@.service', 'api.target', 'api.socket', 'worker.service', 'backend.target']);
  });

  it('reads back to the same argv, environment and working directory', () => {
    const u = unit('db.service');
    expect(execArgv(setting(u, 'Service', 'ExecStart') as string)).toEqual([db.command, ...(db.args ?? [])]);
    expect(environmentOf(u)).toEqual(db.env);
    expect(setting(u, 'Service', 'WorkingDirectory')).toBe('/srv/db');
    expect(execArgv(setting(unit('worker.service'), 'Service', 'ExecStart') as string)).toEqual(['/bin/sh', '-c', 'python3 worker.py --queue jobs']);
    expect(environmentOf(unit('api@.service'), { i: '2' })).toEqual({ PROCVISOR_INSTANCE: '2' });
  });

  it('maps restart, backoff, intensity, shutdown, limits and rlimits', () => {
    const u = unit('db.service');
    const get = (key: string): string | undefined => setting(u, 'Service', key);
    expect([get('Restart'), get('RestartSec'), get('KillSignal'), get('TimeoutStopSec')]).toEqual(['always', '2s', 'SIGINT', '30s']);
    expect([setting(u, 'Unit', 'StartLimitBurst'), setting(u, 'Unit', 'StartLimitIntervalSec')]).toEqual(['4', '60s']);
    expect([get('MemoryMax'), get('CPUQuota'), get('TasksMax')]).toEqual([String(2 * 1024 ** 3), '150%', '256']);
    expect([get('LimitAS'), get('LimitNOFILE'), get('LimitNPROC'), get('LimitCPU'), get('LimitCORE')]).toEqual([String(1024 ** 3), '4096', '512', '3600', '0']);
    const a = unit('api@.service');
    // 1 s doubling up to 60 s: six steps.
    expect(['RestartSec', 'RestartSteps', 'RestartMaxDelaySec'].map((k) => setting(a, 'Service', k))).toEqual(['1s', '6', '60s']);
    expect([setting(a, 'Service', 'WatchdogSec'), setting(a, 'Service', 'NotifyAccess')]).toEqual(['15s', 'main']);
    const wk = unit('worker.service');
    expect(['Restart', 'SuccessExitStatus', 'KillSignal', 'TimeoutStopSec'].map((k) => setting(wk, 'Service', k))).toEqual(['on-failure', '3', 'SIGKILL', '0']);
    expect(setting(unit('migrate.service'), 'Service', 'Restart')).toBe('no');
    expect(setting(unit('migrate.service'), 'Unit', 'StartLimitBurst')).toBeUndefined();
  });

  it('gates the start on readiness: the probe runs until it passes, within the start timeout', () => {
    const u = unit('db.service');
    expect(execArgv(setting(u, 'Service', 'ExecStartPost') as string)).toEqual(['/bin/sh', '-c', 'until timeout 3 pg_isready -q; do sleep 2; done']);
    expect(setting(u, 'Service', 'TimeoutStartSec')).toBe('30s');
    expect(execArgv(setting(unit('api@.service'), 'Service', 'ExecStartPost') as string)[2]).toMatch(/^sleep 1; until timeout 1 curl .* http:\/\/0\.0\.0\.0:8080\/ready; do sleep 0\.5; done$/);
  });

  it('orders siblings with After=, binds rest-for-one siblings, and makes the tree a target', () => {
    const instances = 'api@0.service api@1.service api@2.service';
    expect(settings(unit('db.service'), 'Unit', 'After')).toEqual(['migrate.service']);
    expect(settings(unit('db.service'), 'Unit', 'PartOf')).toEqual(['backend.target']);
    expect(settings(unit('api@.service'), 'Unit', 'BindsTo')).toEqual(['db.service']);
    expect(settings(unit('worker.service'), 'Unit', 'BindsTo')).toEqual([instances]);
    const target = unit('backend.target');
    expect(setting(target, 'Unit', 'Wants')).toBe(`db.service ${instances} worker.service`);
    expect(setting(target, 'Unit', 'Upholds')).toBe(`db.service ${instances}`);
    expect(setting(target, 'Install', 'WantedBy')).toBe('multi-user.target');
    expect(setting(unit('api.target'), 'Unit', 'Wants')).toBe(instances);
  });

  it('maps sockets to socket activation', () => {
    const s = unit('api.socket');
    expect(['ListenStream', 'FileDescriptorName', 'Service'].map((k) => setting(s, 'Socket', k))).toEqual(['0.0.0.0:8080', 'http', 'api@0.service']);
    expect(setting(unit('api@.service'), 'Service', 'Sockets')).toBe('api.socket');
  });

  it('warns for every field that cannot map', () => {
    expect(w.fields('api')).toEqual(expect.arrayContaining(['liveness[0]', 'liveness[1]', 'heartbeat', 'backoff.jitter', 'limits.action']));
    expect(w.fields('worker')).toEqual(expect.arrayContaining(['readiness', 'watch', 'backoff.type', 'restart']));
    expect(w.fields('migrate')).toEqual(['liveness']);
    expect(w.fields('backend')).toEqual(['strategy']);
    expect(w.fields('db')).toEqual([]);
  });

  it('escapes unit names as systemd-escape does', () => {
    const { instances: _i, sockets: _s, ...plain } = api;
    const out = toSystemd([{ ...plain, name: 'web api' }], { onWarning: () => {} });
    expect(Object.keys(out)).toEqual(['web\\x20api.service']);
  });

  it('warns for an argument `\\;`, which no quoting keeps from meaning `;`', () => {
    const w = collect();
    toSystemd([{ name: 'find', command: 'find', args: ['.', '-exec', 'rm', '{}', '\\;'] }], { onWarning: w.onWarning });
    expect(w.fields('find')).toContain('args');
  });
});

describe('systemd quoting', () => {
  const word = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '"', "'", '\\', '$', '%', ';', '\n', '\t', '\x01', 'é', '-', '@', '{', '=', '|', '!') });

  it('any argv reads back unchanged from an Exec line', () => {
    fc.assert(
      // Except the word `\;`: systemd reads it as `;` however it is quoted (the exporter warns).
      fc.property(fc.array(word.filter((w) => w !== '\\;'), { minLength: 1, maxLength: 5 }), (argv) => {
        expect(execArgv(commandLine(argv))).toEqual(argv);
      }),
    );
  });

  it('any variable reads back unchanged from an Environment= line', () => {
    fc.assert(
      fc.property(word, (value) => {
        expect(splitWords(environmentLine('KEY', value).replaceAll('%%', '%'))).toEqual([`KEY=${value}`]);
      }),
    );
  });
});
