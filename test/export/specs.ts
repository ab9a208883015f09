/**
 * Specs that use every field an exporter maps or warns about, shared by the target tests.
 */
import type { ChildSpec, ProcessSpec } from '../../src/api/types.js';
import type { ExportWarning } from '../../src/export/index.js';

/** A database with an exec readiness probe, rlimits, a cgroup and a custom signal. */
export const db: ProcessSpec = {
  name: 'db',
  command: '/usr/bin/postgres',
  args: ['-D', '/var/lib/pg data', '-c', 'log_line_prefix=%m $USER'],
  cwd: '/srv/db',
  env: { PGDATA: '/var/lib/pg data', QUOTE: `it's "quoted" \\ %h $HOME` },
  readiness: { type: 'exec', command: 'pg_isready', args: ['-q'], interval: '2s', timeout: '3s', failureThreshold: 5 },
  shutdown: { signal: 'SIGINT', timeout: '30s' },
  rlimits: { openFiles: 4096, processes: 512, memory: '1GiB', cpuTime: '1h', coreSize: 0 },
  cgroup: { memory: '2GiB', cpu: 150, pids: 256 },
  backoff: { type: 'fixed', delay: '2s' },
  intensity: { maxRestarts: 3, period: '1m' },
};

/** An API with sockets, instances, http probes, a heartbeat and limits. */
export const api: ProcessSpec = {
  name: 'api',
  command: 'node',
  args: ['server.js', '--port', '8080'],
  cwd: '/srv/api',
  instances: 3,
  sockets: [{ port: 8080, host: '0.0.0.0', name: 'http' }],
  readiness: { type: 'http', url: 'http://0.0.0.0:8080/ready', interval: '500ms', initialDelay: '1s' },
  liveness: [
    { type: 'tcp', port: 8080, host: '0.0.0.0', interval: '10s', timeout: '2s', failureThreshold: 4 },
    { type: 'exec', command: '/srv/bin/check', interval: '30s' },
  ],
  heartbeat: { timeout: '15s' },
  limits: { memory: '512MiB', cpu: 50, action: 'warn' },
  backoff: { type: 'exponential', initial: '1s', factor: 2, max: '1m', jitter: 0.2 },
};

/** A worker that logs readiness, through a shell, transient, SIGKILLed at once. */
export const worker: ProcessSpec = {
  name: 'worker',
  command: 'python3 worker.py',
  args: ['--queue', 'jobs'],
  shell: true,
  restart: 'transient',
  successExitCodes: [0, 3],
  readiness: { type: 'log', pattern: 'ready' },
  shutdown: 'kill',
  backoff: { type: 'linear', initial: '1s', step: '1s', max: '10s' },
  watch: ['src'],
};

/** A one-shot migration, temporary, with a custom liveness probe. */
export const migrate: ProcessSpec = {
  name: 'migrate',
  command: '/srv/bin/migrate',
  restart: 'temporary',
  liveness: { type: 'custom', check: async () => true },
};

/** The tree: db, then api (rest-for-one), and the worker; the migration at top level first. */
export const TREE: ChildSpec[] = [
  migrate,
  { name: 'backend', strategy: 'rest-for-one', children: [db, api, worker] },
];

/** Warnings collected by field, for assertions. */
export function collect(): { warnings: ExportWarning[]; onWarning: (w: ExportWarning) => void; fields: (process: string) => string[] } {
  const warnings: ExportWarning[] = [];
  return {
    warnings,
    onWarning: (w) => warnings.push(w),
    fields: (process) => warnings.filter((w) => w.process === process).map((w) => w.field),
  };
}
