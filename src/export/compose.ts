/**
 * `toCompose(config)`: a Compose file (as an object) with a service per process, started in the
 * config's order through `depends_on`, gated on readiness with `condition: service_healthy`.
 * Mapping and warnings: docs/export.md#docker-compose.
 */
import type { ResolvedProcessSpec, ResolvedRlimits } from '../spec/resolved.js';
import { argvOf, ceilingsOf, environmentOf, probeCommand, timeSpan, warnHostOnly } from './mapping.js';
import { isSet, predecessorOf, processesOf, type ProcessNode } from './model.js';
import { type ComposeExportOptions, type ExportInput } from './types.js';
import { beginExport, imageOf } from './options.js';
import type { Warn } from './warnings.js';

/** A Compose file as plain data: `{ services: { [name]: service } }`. */
export interface ComposeFile {
  services: Record<string, Record<string, unknown>>;
}

type Json = Record<string, unknown>;

/** A Compose service name: letters, digits, `.`, `_` and `-`. */
function serviceName(name: string): string {
  return name.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

const RESTART = { permanent: 'unless-stopped', transient: 'on-failure', temporary: 'no', never: 'no' } as const;

function healthcheckOf(spec: ResolvedProcessSpec, warn: Warn): Json | undefined {
  const readiness = spec.readiness;
  const [liveness, ...more] = spec.liveness;
  const probe = readiness ?? liveness;
  const field = readiness !== undefined ? 'readiness' : spec.liveness.length > 1 ? 'liveness[0]' : 'liveness';
  if (readiness !== undefined) {
    spec.liveness.forEach((_, i) =>
      warn(spec.name, spec.liveness.length > 1 ? `liveness[${i}]` : 'liveness', 'not exported: a Compose service has one healthcheck, which holds the readiness probe'),
    );
  } else {
    more.forEach((_, i) => warn(spec.name, `liveness[${i + 1}]`, 'not exported: a Compose service has one healthcheck; only the first liveness probe is kept'));
  }
  if (probe === undefined) return undefined;
  const command = probeCommand(spec.name, field, probe, warn);
  if (command === undefined) return undefined;
  if (readiness === undefined) {
    warn(spec.name, field, 'Compose marks the container unhealthy but does not restart it (Swarm does): the liveness probe only reports');
  }
  if (probe.successThreshold !== 1) warn(spec.name, `${field}.successThreshold`, 'Compose counts the first success as healthy');
  if (readiness !== undefined && probe.initialDelay > 0) {
    warn(spec.name, `${field}.initialDelay`, 'checks start at once; failures within start_period (the startTimeout) do not count');
  }
  return {
    test: ['CMD', ...command],
    interval: timeSpan(probe.interval),
    timeout: timeSpan(probe.timeout),
    retries: probe.failureThreshold,
    start_period: timeSpan(readiness === undefined ? probe.initialDelay : spec.startTimeout),
    ...(readiness === undefined ? {} : { start_interval: timeSpan(probe.interval) }),
  };
}

function ulimitsOf(name: string, rlimits: ResolvedRlimits | undefined, warn: Warn): Json {
  if (rlimits === undefined) return {};
  const ulimits: Json = {};
  if (rlimits.openFiles !== undefined) ulimits.nofile = rlimits.openFiles;
  if (rlimits.processes !== undefined) ulimits.nproc = rlimits.processes;
  if (rlimits.cpuTime !== undefined) ulimits.cpu = rlimits.cpuTime;
  if (rlimits.coreSize !== undefined) ulimits.core = rlimits.coreSize;
  if (rlimits.memory !== undefined) warn(name, 'rlimits.memory', 'not exported: Docker has no address-space ulimit; deploy.resources.limits.memory is the nearest');
  return Object.keys(ulimits).length === 0 ? {} : { ulimits };
}

function deployOf(node: ProcessNode, warn: Warn): Json {
  const { memory, cpu, pids } = ceilingsOf(node, warn, 'Docker');
  const limits: Json = {
    ...(cpu === undefined ? {} : { cpus: String(cpu / 100) }),
    ...(memory === undefined ? {} : { memory: `${memory}b` }),
    ...(pids === undefined ? {} : { pids }),
  };
  const deploy: Json = {
    ...(node.spec.instances === undefined ? {} : { replicas: node.spec.instances }),
    ...(Object.keys(limits).length === 0 ? {} : { resources: { limits } }),
  };
  if (node.spec.instances !== undefined) warn(node.spec.name, 'instances', 'replicas get no PROCVISOR_INSTANCE, and cannot publish one host port each');
  return Object.keys(deploy).length === 0 ? {} : { deploy };
}

function stopOf(spec: ResolvedProcessSpec, warn: Warn): Json {
  if (spec.shutdown === 'kill') return { stop_signal: 'SIGKILL', stop_grace_period: '0s' };
  const signal = spec.shutdown.signal === 'SIGTERM' ? {} : { stop_signal: spec.shutdown.signal };
  if (Number.isFinite(spec.shutdown.timeout)) return { ...signal, stop_grace_period: timeSpan(spec.shutdown.timeout) };
  warn(spec.name, 'shutdown.timeout', 'not exported: Docker always ends with SIGKILL; its default grace period (10 s) applies');
  return signal;
}

function restartOf(node: ProcessNode, warn: Warn): Json {
  const { spec, raw } = node;
  if (isSet(raw, 'backoff')) warn(spec.name, 'backoff', 'not exported: Docker restarts with its own delay (100 ms, doubling, reset after 10 s up)');
  if (isSet(raw, 'intensity') && spec.restart !== 'temporary' && spec.restart !== 'never') {
    warn(spec.name, 'intensity', 'not exported: Docker never gives up restarting (on-failure:N counts failures in all, with no time window)');
  }
  if (isSet(raw, 'successExitCodes')) warn(spec.name, 'successExitCodes', 'not exported: `on-failure` counts every exit code but 0 as a failure');
  return { restart: RESTART[spec.restart] };
}

function portsOf(spec: ResolvedProcessSpec, warn: Warn): Json {
  if (spec.sockets.length === 0) return {};
  warn(spec.name, 'sockets', 'Docker passes no listening socket (LISTEN_FDS): the program must listen on the port itself, on 0.0.0.0 in the container; the port is published on the host address');
  return { ports: spec.sockets.map((s) => ({ target: s.port, published: String(s.port), host_ip: s.host, protocol: 'tcp', name: s.name })) };
}

function dependsOnOf(node: ProcessNode, health: ReadonlyMap<string, boolean>, warn: Warn): Json {
  const previous = predecessorOf(node);
  if (previous === undefined) return {};
  // Restarted with what it depends on: rest-for-one (and one-for-all, in part) between siblings.
  const strategy = node.previous === undefined ? undefined : node.parent?.spec.strategy;
  const restart = strategy === 'rest-for-one' || strategy === 'one-for-all';
  const depends: Json = {};
  for (const before of processesOf(previous)) {
    const healthy = health.get(before.spec.name) === true;
    if (!healthy && before.spec.readiness !== undefined) {
      warn(node.spec.name, 'order', `starts once \`${before.spec.name}\` has started, not once it is ready: its readiness probe is not exported`);
    }
    depends[serviceName(before.spec.name)] = { condition: healthy ? 'service_healthy' : 'service_started', ...(restart ? { restart: true } : {}) };
  }
  return { depends_on: depends };
}

/**
 * The Compose file that runs what `config` declares: a service per process, in the config's start
 * order. Warnings name every field Compose cannot express
 * (https://github.com/procvisor/procvisor/blob/main/docs/export.md#docker-compose).
 * @throws InvalidSpecError for an invalid spec, as a manager would; InvalidArgumentError for bad options.
 */
export function toCompose(config: ExportInput, options: ComposeExportOptions = {}): ComposeFile {
  const { warn, model } = beginExport('compose', config, options);
  const image = imageOf(options, warn, 'every service');
  for (const sup of model.supervisors) {
    if (sup.spec.strategy === 'one-for-all') {
      warn(sup.spec.name, 'strategy', '`one-for-all` maps to rest-for-one: a service restarts with the ones it depends on (depends_on restart: true), never with the ones after it');
    }
    if (isSet(sup.raw, 'intensity')) warn(sup.spec.name, 'intensity', 'not exported: Docker never gives up restarting');
    if (isSet(sup.raw, 'autoShutdown')) warn(sup.spec.name, 'autoShutdown', 'not exported: auto-shutdown has no equivalent');
  }
  const services: Record<string, Json> = {};
  const health = new Map<string, boolean>();
  for (const node of model.processes) {
    const { spec } = node;
    const name = serviceName(spec.name);
    if (name !== spec.name) warn(spec.name, 'name', `named \`${name}\`: Compose service names are letters, digits, \`.\`, \`_\` and \`-\``);
    warnHostOnly(node, warn);
    if (spec.heartbeat !== undefined) warn(spec.name, 'heartbeat', 'not exported: Docker has no heartbeat watchdog; use a healthcheck');
    const [program, ...args] = argvOf(spec);
    const environment = Object.fromEntries(environmentOf(node, warn));
    let workingDir: Json = {};
    if (spec.cwd !== undefined) {
      if (spec.cwd.startsWith('/')) workingDir = { working_dir: spec.cwd };
      else warn(spec.name, 'cwd', `not exported: \`${spec.cwd}\` is relative; a container's working directory must be absolute`);
    }
    const healthcheck = healthcheckOf(spec, warn);
    health.set(spec.name, healthcheck !== undefined && spec.readiness !== undefined);
    services[name] = {
      image,
      entrypoint: [program],
      ...(args.length === 0 ? {} : { command: args }),
      ...(Object.keys(environment).length === 0 ? {} : { environment }),
      ...workingDir,
      ...restartOf(node, warn),
      ...stopOf(spec, warn),
      ...(healthcheck === undefined ? {} : { healthcheck }),
      ...deployOf(node, warn),
      ...ulimitsOf(spec.name, spec.rlimits, warn),
      ...portsOf(spec, warn),
      ...dependsOnOf(node, health, warn),
    };
  }
  return { services };
}
