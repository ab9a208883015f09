/**
 * `toKubernetes`: the field-by-field mapping of docs/export.md#kubernetes, valid against the
 * Kubernetes schemas, with a warning for every field that cannot map.
 */
import { describe, expect, it } from 'vitest';
import { toKubernetes, type KubernetesObject } from '../../src/export/index.js';
import { api, collect, db, TREE, worker } from './specs.js';
import { validateKubernetes } from './validators.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const byName = (objects: KubernetesObject[], kind: string, name: string): Json => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name}`);
  return found;
};
const containerOf = (o: Json): Json => o.spec.template.spec.containers[0];

describe('toKubernetes', () => {
  const w = collect();
  const objects = toKubernetes(TREE, { image: 'registry.example/app:1', namespace: 'prod', onWarning: w.onWarning });

  it('writes objects the Kubernetes schemas accept', () => {
    validateKubernetes(objects);
    expect(objects.map((o) => `${o.kind}/${String(o.metadata.name)}`)).toEqual(['Job/migrate', 'Deployment/db', 'Deployment/api', 'Service/api', 'Job/worker']);
    expect(objects.every((o) => o.metadata.namespace === 'prod')).toBe(true);
    expect(w.fields('*')).toEqual([]);
  });

  it('maps command, args, env, cwd, image and shell', () => {
    const c = containerOf(byName(objects, 'Deployment', 'db'));
    expect(c).toMatchObject({ image: 'registry.example/app:1', command: [db.command], args: db.args, workingDir: '/srv/db' });
    expect(c.env).toEqual(Object.entries(db.env ?? {}).map(([name, value]) => ({ name, value })));
    expect(containerOf(byName(objects, 'Job', 'worker'))).toMatchObject({ command: ['/bin/sh'], args: ['-c', 'python3 worker.py --queue jobs'] });
  });

  it('maps probes with the same timing: readiness as startup and readiness probes, exec as exec', () => {
    const c = containerOf(byName(objects, 'Deployment', 'db'));
    const exec = { exec: { command: ['pg_isready', '-q'] }, periodSeconds: 2, timeoutSeconds: 3 };
    expect(c.readinessProbe).toEqual({ ...exec, successThreshold: 1, failureThreshold: 5 });
    // startTimeout 30 s at one check every 2 s.
    expect(c.startupProbe).toEqual({ ...exec, initialDelaySeconds: 0, successThreshold: 1, failureThreshold: 15 });
    const a = containerOf(byName(objects, 'Deployment', 'api'));
    expect(a.readinessProbe.httpGet).toEqual({ path: '/ready', port: 8080 });
    expect(a.startupProbe.initialDelaySeconds).toBe(1);
    expect(a.livenessProbe).toEqual({ tcpSocket: { port: 8080 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 2, successThreshold: 1, failureThreshold: 4 });
  });

  it('maps instances, limits, cgroup, shutdown and sockets', () => {
    const deployment = byName(objects, 'Deployment', 'api');
    expect(deployment.spec.replicas).toBe(3);
    expect(containerOf(deployment).resources).toEqual({ limits: { memory: String(512 * 1024 * 1024), cpu: '500m' } });
    expect(containerOf(byName(objects, 'Deployment', 'db')).resources).toEqual({ limits: { memory: String(2 * 1024 ** 3), cpu: '1500m' } });
    expect(byName(objects, 'Deployment', 'db').spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(byName(objects, 'Job', 'worker').spec.template.spec.terminationGracePeriodSeconds).toBe(0);
    expect(byName(objects, 'Service', 'api').spec).toEqual({
      selector: { 'app.kubernetes.io/name': 'api' },
      ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP', name: 'http' }],
    });
    expect(containerOf(deployment).ports).toEqual([{ containerPort: 8080, protocol: 'TCP', name: 'http' }]);
  });

  it('maps restart types: permanent to a Deployment, transient to a Job on failure, temporary to a Job never restarted', () => {
    expect(byName(objects, 'Job', 'worker').spec).toMatchObject({ backoffLimit: 5, template: { spec: { restartPolicy: 'OnFailure' } } });
    expect(byName(objects, 'Job', 'migrate').spec).toMatchObject({ backoffLimit: 0, template: { spec: { restartPolicy: 'Never' } } });
    expect(byName(objects, 'Deployment', 'db').spec.template.spec.restartPolicy).toBe('Always');
  });

  it('warns for every field that cannot map', () => {
    expect(w.fields('worker')).toEqual(expect.arrayContaining(['readiness', 'watch', 'backoff', 'successExitCodes', 'order']));
    expect(w.warnings.find((x) => x.process === 'worker' && x.field === 'readiness')?.message).toMatch(/`log` probe/);
    expect(w.fields('migrate')).toContain('liveness');
    expect(w.fields('db')).toEqual(expect.arrayContaining(['rlimits', 'cgroup.pids', 'shutdown.signal', 'backoff', 'intensity']));
    expect(w.fields('api')).toEqual(expect.arrayContaining(['heartbeat', 'limits.action', 'readiness.interval', 'liveness[1]', 'sockets', 'instances']));
    expect(w.fields('backend')).toEqual(['strategy']);
    expect(w.warnings.every((x) => x.target === 'kubernetes')).toBe(true);
  });

  it('warns about the default image, and about loopback probes the kubelet cannot reach', () => {
    const v = collect();
    const [deployment] = toKubernetes([{ ...worker, readiness: { type: 'tcp', port: 9000 }, restart: 'permanent' }], { onWarning: v.onWarning });
    validateKubernetes([deployment as KubernetesObject]);
    expect(v.warnings[0]).toMatchObject({ process: '*', field: 'image' });
    expect(v.warnings.find((x) => x.field === 'readiness')?.message).toMatch(/0\.0\.0\.0/);
  });

  it('emits process warnings by default, and names objects as Kubernetes needs', () => {
    const emitted: string[] = [];
    const listener = (warning: Error): void => void emitted.push(warning.message);
    process.on('warning', listener);
    const { instances: _, ...single } = api;
    const objects2 = toKubernetes([{ ...single, name: 'My_API' }]);
    validateKubernetes(objects2);
    expect(objects2[0]?.metadata.name).toBe('my-api');
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        process.off('warning', listener);
        expect(emitted.some((m) => m.includes('My_API: name:'))).toBe(true);
        resolve();
      });
    });
  });
});

describe('export options', () => {
  it('rejects malformed options before exporting anything', () => {
    expect(() => toKubernetes(TREE, { namespace: 'Prod' })).toThrow(/Expected `namespace` to be a DNS label/);
    expect(() => toKubernetes(TREE, { image: '' })).toThrow(/`image`/);
    expect(() => toKubernetes({ processes: 'web' } as never)).toThrow(/Expected a config/);
  });
});
