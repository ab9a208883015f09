/**
 * `toCompose`: the mapping of docs/export.md#docker-compose, valid against the Compose
 * Specification's schema, with a warning for every field that cannot map.
 */
import { describe, expect, it } from 'vitest';
import { toCompose } from '../../src/export/index.js';
import { collect, db, TREE } from './specs.js';
import { validateCompose } from './validators.js';

describe('toCompose', () => {
  const w = collect();
  const file = toCompose(TREE, { image: 'registry.example/app:1', onWarning: w.onWarning });
  const s = file.services;

  it('writes a file the Compose Specification accepts, a service per process', () => {
    validateCompose(file);
    expect(Object.keys(s)).toEqual(['migrate', 'db', 'api', 'worker']);
  });

  it('maps command, args, env, cwd and shell', () => {
    expect(s.db).toMatchObject({ image: 'registry.example/app:1', entrypoint: [db.command], command: db.args, environment: db.env, working_dir: '/srv/db' });
    expect(s.worker).toMatchObject({ entrypoint: ['/bin/sh'], command: ['-c', 'python3 worker.py --queue jobs'] });
  });

  it('maps readiness to a healthcheck with the same timing, and the start timeout to start_period', () => {
    expect(s.db?.healthcheck).toEqual({ test: ['CMD', 'pg_isready', '-q'], interval: '2s', timeout: '3s', retries: 5, start_period: '30s', start_interval: '2s' });
    expect(s.api?.healthcheck).toMatchObject({ test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', '--max-time', '1', 'http://0.0.0.0:8080/ready'], interval: '500ms' });
  });

  it('maps restart types, shutdown, instances, limits, rlimits and sockets', () => {
    expect([s.migrate?.restart, s.db?.restart, s.worker?.restart]).toEqual(['no', 'unless-stopped', 'on-failure']);
    expect(s.db).toMatchObject({ stop_signal: 'SIGINT', stop_grace_period: '30s' });
    expect(s.worker).toMatchObject({ stop_signal: 'SIGKILL', stop_grace_period: '0s' });
    expect(s.api?.deploy).toEqual({ replicas: 3, resources: { limits: { cpus: '0.5', memory: `${512 * 1024 * 1024}b` } } });
    expect(s.db?.deploy).toEqual({ resources: { limits: { cpus: '1.5', memory: `${2 * 1024 ** 3}b`, pids: 256 } } });
    expect(s.db?.ulimits).toEqual({ nofile: 4096, nproc: 512, cpu: 3600, core: 0 });
    expect(s.api?.ports).toEqual([{ target: 8080, published: '8080', host_ip: '0.0.0.0', protocol: 'tcp', name: 'http' }]);
  });

  it('keeps the start order, gated on readiness, and rest-for-one restarts with depends_on restart', () => {
    expect(s.migrate?.depends_on).toBeUndefined();
    expect(s.db?.depends_on).toEqual({ migrate: { condition: 'service_started' } });
    expect(s.api?.depends_on).toEqual({ db: { condition: 'service_healthy', restart: true } });
    // The worker's readiness is a log probe: it has no healthcheck, so nothing waits for it.
    expect(s.worker?.depends_on).toEqual({ api: { condition: 'service_healthy', restart: true } });
  });

  it('warns for every field that cannot map', () => {
    expect(w.fields('worker')).toEqual(expect.arrayContaining(['readiness', 'watch', 'backoff', 'successExitCodes']));
    expect(w.fields('api')).toEqual(expect.arrayContaining(['heartbeat', 'liveness[0]', 'liveness[1]', 'sockets', 'instances', 'limits.action']));
    expect(w.fields('db')).toEqual(expect.arrayContaining(['rlimits.memory', 'backoff', 'intensity']));
    expect(w.fields('migrate')).toEqual(['liveness']);
    expect(w.fields('backend')).toEqual([]);
  });

  it('says that one-for-all maps only in part', () => {
    const v = collect();
    const out = toCompose([{ name: 'pair', strategy: 'one-for-all', children: [{ name: 'a', command: 'a' }, { name: 'b', command: 'b' }] }], { image: 'x', onWarning: v.onWarning });
    validateCompose(out);
    expect(out.services.b?.depends_on).toEqual({ a: { condition: 'service_started', restart: true } });
    expect(v.fields('pair')).toEqual(['strategy']);
  });
});
