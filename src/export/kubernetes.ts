/**
 * `toKubernetes(config)`: a Deployment per process (a Job for one that is not restarted after a
 * normal exit), a Service per process with `sockets`, as plain objects ready for `kubectl apply`.
 * Mapping and warnings: docs/export.md#kubernetes.
 */
import type { ResolvedProbe, ResolvedProcessSpec } from '../spec/resolved.js';
import { argvOf, ceilSeconds, ceilingsOf, environmentOf, isLoopback, warnHostOnly, warnNotPortable } from './mapping.js';
import { isSet, predecessorOf, processesOf, type ProcessNode } from './model.js';
import { type ExportInput, type KubernetesExportOptions } from './types.js';
import { beginExport, imageOf } from './options.js';
import type { Warn } from './warnings.js';

/** A Kubernetes object as plain data (`apiVersion`, `kind`, `metadata`, `spec`). */
export type KubernetesObject = { apiVersion: string; kind: string; metadata: Record<string, unknown> } & Record<string, unknown>;

type Json = Record<string, unknown>;

/** A DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters. */
function dnsLabel(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return label === '' ? 'process' : label;
}

/** An IANA service name for a port (≤ 15 characters, a letter in it), or undefined. */
function portName(name: string): string | undefined {
  const label = dnsLabel(name).slice(0, 15).replace(/-+$/, '');
  return /[a-z]/.test(label) && !label.includes('--') ? label : undefined;
}

/** Whole seconds for a probe's timing field, warning when a fraction is rounded up. */
function seconds(name: string, field: string, ms: number, min: number, warn: Warn): number {
  const s = Math.max(min, ceilSeconds(ms));
  if (s * 1000 !== ms) warn(name, field, `${ms} ms is rounded up to ${s} s: Kubernetes counts whole seconds${min > 0 ? ` (at least ${min})` : ''}`);
  return s;
}

function handlerOf(name: string, field: string, probe: ResolvedProbe, warn: Warn): Json | undefined {
  const loopback = (host: string): void =>
    warn(name, field, `the kubelet probes the pod's IP, not ${host}: the program must listen on 0.0.0.0 (or the pod's IP)`);
  switch (probe.type) {
    case 'http': {
      const url = new URL(probe.url);
      const https = url.protocol === 'https:';
      const [min, max] = probe.status;
      if (probe.method !== 'GET') warn(name, `${field}.method`, `Kubernetes probes with GET, not ${probe.method}`);
      if (min !== 200 || max !== 399) warn(name, `${field}.status`, `Kubernetes passes any status from 200 to 399, not ${min}–${max}`);
      if (probe.body !== undefined) warn(name, `${field}.body`, 'Kubernetes does not check the response body: use an `exec` probe for that');
      if (isLoopback(url.hostname)) loopback(url.hostname);
      const httpGet: Json = {
        path: `${url.pathname}${url.search}`,
        port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
        ...(https ? { scheme: 'HTTPS' } : {}),
        ...(isLoopback(url.hostname) || url.hostname === '0.0.0.0' ? {} : { host: url.hostname }),
      };
      return { httpGet };
    }
    case 'tcp':
      if (isLoopback(probe.host)) loopback(probe.host);
      return { tcpSocket: { port: probe.port, ...(isLoopback(probe.host) || probe.host === '0.0.0.0' ? {} : { host: probe.host }) } };
    case 'exec':
      return { exec: { command: [probe.command, ...probe.args] } };
    default:
      warnNotPortable(name, field, probe, warn);
      return undefined;
  }
}

/** A Kubernetes probe with the same timing; undefined (warned) for a probe Kubernetes cannot run. */
function probeOf(name: string, field: string, probe: ResolvedProbe, warn: Warn, options: { successOne: boolean; initialDelay?: boolean }): Json | undefined {
  const handler = handlerOf(name, field, probe, warn);
  if (handler === undefined) return undefined;
  if (options.successOne && probe.successThreshold !== 1) {
    warn(name, `${field}.successThreshold`, `Kubernetes requires 1 for liveness and startup probes; ${probe.successThreshold} becomes 1`);
  }
  return {
    ...handler,
    ...(options.initialDelay === false ? {} : { initialDelaySeconds: seconds(name, `${field}.initialDelay`, probe.initialDelay, 0, warn) }),
    periodSeconds: seconds(name, `${field}.interval`, probe.interval, 1, warn),
    timeoutSeconds: seconds(name, `${field}.timeout`, probe.timeout, 1, warn),
    successThreshold: options.successOne ? 1 : probe.successThreshold,
    failureThreshold: probe.failureThreshold,
  };
}

/**
 * Readiness: a startup probe (it must pass within `startTimeout`, or the container is restarted,
 * as a failed start is) and a readiness probe (a Service routes to the pod once it passes).
 */
function readinessProbes(spec: ResolvedProcessSpec, warn: Warn): Json {
  const probe = spec.readiness;
  if (probe === undefined) return {};
  const readinessProbe = probeOf(spec.name, 'readiness', probe, warn, { successOne: false, initialDelay: false });
  if (readinessProbe === undefined) return {};
  const period = Math.max(1, ceilSeconds(probe.interval));
  const startupProbe = {
    ...probeOf(spec.name, 'readiness', probe, () => {}, { successOne: true }),
    failureThreshold: Math.max(1, Math.ceil(spec.startTimeout / (period * 1000))),
  };
  if (probe.successThreshold !== 1) warn(spec.name, 'readiness.successThreshold', 'the startup probe passes on the first success (Kubernetes requires 1); the readiness probe keeps the threshold');
  return { startupProbe, readinessProbe };
}

function livenessProbe(spec: ResolvedProcessSpec, warn: Warn): Json {
  const [first, ...rest] = spec.liveness;
  rest.forEach((_, i) => warn(spec.name, `liveness[${i + 1}]`, 'not exported: a Kubernetes container has one liveness probe; only the first is kept'));
  if (first === undefined) return {};
  const field = spec.liveness.length > 1 ? 'liveness[0]' : 'liveness';
  const probe = probeOf(spec.name, field, first, warn, { successOne: true });
  return probe === undefined ? {} : { livenessProbe: probe };
}

function resourcesOf(node: ProcessNode, warn: Warn): Json {
  const { memory, cpu, pids } = ceilingsOf(node, warn, 'Kubernetes');
  if (pids !== undefined) warn(node.spec.name, 'cgroup.pids', 'not exported: Kubernetes sets a process limit per node (kubelet podPidsLimit), not per container');
  const limits: Json = {
    ...(memory === undefined ? {} : { memory: String(memory) }),
    ...(cpu === undefined ? {} : { cpu: `${Math.max(1, Math.round(cpu * 10))}m` }),
  };
  return Object.keys(limits).length === 0 ? {} : { resources: { limits } };
}

function containerOf(node: ProcessNode, image: string, warn: Warn): Json {
  const { spec } = node;
  const [program, ...args] = argvOf(spec);
  const env = environmentOf(node, warn).map(([name, value]) => ({ name, value }));
  let workingDir: Json = {};
  if (spec.cwd !== undefined) {
    if (spec.cwd.startsWith('/')) workingDir = { workingDir: spec.cwd };
    else warn(spec.name, 'cwd', `not exported: \`${spec.cwd}\` is relative; a container's working directory must be absolute`);
  }
  if (spec.rlimits !== undefined) warn(spec.name, 'rlimits', 'not exported: Kubernetes has no per-container resource limits (setrlimit); the container runtime\'s defaults apply');
  if (spec.heartbeat !== undefined) warn(spec.name, 'heartbeat', 'not exported: Kubernetes has no heartbeat watchdog; use a liveness probe');
  const ports = spec.sockets.map((s) => ({ containerPort: s.port, protocol: 'TCP', ...(portName(s.name) === undefined ? {} : { name: portName(s.name) }) }));
  return {
    name: dnsLabel(spec.name),
    image,
    command: [program],
    ...(args.length === 0 ? {} : { args }),
    ...(env.length === 0 ? {} : { env }),
    ...workingDir,
    ...(ports.length === 0 ? {} : { ports }),
    ...resourcesOf(node, warn),
    ...readinessProbes(spec, warn),
    ...livenessProbe(spec, warn),
  };
}

function podSpecOf(node: ProcessNode, image: string, restartPolicy: string, warn: Warn): Json {
  const { spec } = node;
  let grace: Json = {};
  if (spec.shutdown === 'kill') grace = { terminationGracePeriodSeconds: 0 };
  else {
    if (spec.shutdown.signal !== 'SIGTERM') {
      warn(spec.name, 'shutdown.signal', `Kubernetes stops a container with the image's STOPSIGNAL (SIGTERM unless the image says otherwise), not ${spec.shutdown.signal}: set STOPSIGNAL in the image`);
    }
    if (Number.isFinite(spec.shutdown.timeout)) grace = { terminationGracePeriodSeconds: ceilSeconds(spec.shutdown.timeout) };
    else warn(spec.name, 'shutdown.timeout', 'not exported: Kubernetes always ends with SIGKILL; the default grace period (30 s) applies');
  }
  return { restartPolicy, ...grace, containers: [containerOf(node, image, warn)] };
}

/** Labels of every object of one process. */
function labelsOf(node: ProcessNode): Record<string, string> {
  let top = node.parent;
  while (top?.parent !== undefined) top = top.parent;
  return { 'app.kubernetes.io/name': dnsLabel(node.spec.name), ...(top === undefined ? {} : { 'app.kubernetes.io/part-of': dnsLabel(top.spec.name) }) };
}

function warnRestarts(node: ProcessNode, warn: Warn, job: boolean): void {
  const { spec, raw } = node;
  if (isSet(raw, 'backoff')) warn(spec.name, 'backoff', 'not exported: Kubernetes restarts with its own back-off (10 s, doubling, at most 5 min)');
  if (!job && isSet(raw, 'intensity')) warn(spec.name, 'intensity', 'not exported: a Deployment never gives up; Kubernetes keeps restarting with back-off');
  if (job && spec.restart === 'transient') {
    warn(spec.name, 'intensity', `a Job gives up after backoffLimit = ${spec.intensity.maxRestarts} failures in all, with no time window`);
  }
  if (isSet(raw, 'successExitCodes')) {
    warn(spec.name, 'successExitCodes', job ? 'Kubernetes counts only exit code 0 as success (a podFailurePolicy can ignore other codes)' : 'not exported: a Deployment restarts a container whatever its exit code');
  }
}

function workloadOf(node: ProcessNode, image: string, namespace: string | undefined, warn: Warn): KubernetesObject {
  const { spec } = node;
  const labels = labelsOf(node);
  const metadata = { name: dnsLabel(spec.name), ...(namespace === undefined ? {} : { namespace }), labels };
  const replicas = spec.instances ?? 1;
  if (spec.instances !== undefined) warn(spec.name, 'instances', 'replicas get no PROCVISOR_INSTANCE: a StatefulSet gives each a stable ordinal in its host name');
  if (spec.restart === 'permanent') {
    warnRestarts(node, warn, false);
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] } },
        template: { metadata: { labels: { ...labels } }, spec: podSpecOf(node, image, 'Always', warn) },
      },
    };
  }
  // Not restarted after a normal exit: a Job, which a Deployment (always restarting) cannot be.
  warnRestarts(node, warn, true);
  const transient = spec.restart === 'transient';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      completions: replicas,
      parallelism: replicas,
      backoffLimit: transient ? spec.intensity.maxRestarts : 0,
      template: { metadata: { labels: { ...labels } }, spec: podSpecOf(node, image, transient ? 'OnFailure' : 'Never', warn) },
    },
  };
}

function serviceOf(node: ProcessNode, namespace: string | undefined, warn: Warn): KubernetesObject | undefined {
  const { spec } = node;
  if (spec.sockets.length === 0) return undefined;
  warn(spec.name, 'sockets', 'Kubernetes passes no listening socket (LISTEN_FDS): the program must listen on the port itself, on 0.0.0.0; a Service routes to it');
  const labels = labelsOf(node);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: dnsLabel(spec.name), ...(namespace === undefined ? {} : { namespace }), labels },
    spec: {
      selector: { 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] },
      ports: spec.sockets.map((s) => ({ port: s.port, targetPort: s.port, protocol: 'TCP', ...(portName(s.name) === undefined ? {} : { name: portName(s.name) }) })),
    },
  };
}

/**
 * The Kubernetes objects that run what `config` declares: per process, a Deployment (`permanent`)
 * or a Job (`transient`, `temporary`, `never`), and a Service when it has `sockets`. Warnings
 * name every field Kubernetes cannot express
 * (https://github.com/procvisor/procvisor/blob/main/docs/export.md#kubernetes).
 * @throws InvalidSpecError for an invalid spec, as a manager would; InvalidArgumentError for bad options.
 */
export function toKubernetes(config: ExportInput, options: KubernetesExportOptions = {}): KubernetesObject[] {
  const { warn, model } = beginExport('kubernetes', config, options);
  const image = imageOf(options, warn, 'every container');
  for (const sup of model.supervisors) {
    if (sup.spec.strategy !== 'one-for-one') {
      warn(sup.spec.name, 'strategy', `\`${sup.spec.strategy}\` does not map: Kubernetes restarts each container on its own (put processes that must restart together in one container under procvisor)`);
    }
    if (isSet(sup.raw, 'intensity')) warn(sup.spec.name, 'intensity', 'not exported: Kubernetes never gives up on a Deployment');
    if (isSet(sup.raw, 'autoShutdown')) warn(sup.spec.name, 'autoShutdown', 'not exported: auto-shutdown has no equivalent');
  }
  const objects: KubernetesObject[] = [];
  const names = new Map<string, string>();
  for (const node of model.processes) {
    const { spec } = node;
    const label = dnsLabel(spec.name);
    if (label !== spec.name) warn(spec.name, 'name', `named \`${label}\`: Kubernetes names are lower-case letters, digits and \`-\``);
    const clash = names.get(label);
    if (clash !== undefined) warn(spec.name, 'name', `\`${label}\` is also the Kubernetes name of \`${clash}\`: rename one`);
    names.set(label, spec.name);
    const before = predecessorOf(node);
    if (before !== undefined && processesOf(before).some((p) => p.spec.readiness !== undefined)) {
      warn(spec.name, 'order', 'Kubernetes starts every workload at once, not after the one before it is ready: the program must retry until what it needs answers (or wait in an init container)');
    }
    warnHostOnly(node, warn);
    objects.push(workloadOf(node, image, options.namespace, warn));
    const service = serviceOf(node, options.namespace, warn);
    if (service !== undefined) objects.push(service);
  }
  return objects;
}
