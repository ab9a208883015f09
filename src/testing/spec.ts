/**
 * A fixture spec becomes a process spec: its name made unique, `{port}` replaced by the fixture's
 * port wherever a process or a probe would need it, and `PORT` set. Everything else is validated by
 * the manager, with the same errors as any spec.
 */
import { basename, extname } from 'node:path';
import { InvalidSpecError } from '../api/errors.js';
import type { ProcessSpec, Probe } from '../api/types.js';
import type { FixtureProbe, FixtureSpec } from './types.js';

/** The text replaced by the fixture's port. */
export const PORT_PLACEHOLDER = '{port}';

/** What a fixture spec says about its port, checked. */
export type PortRequest = 'auto' | number | undefined;

function describe(spec: FixtureSpec): string {
  return typeof spec.name === 'string' && spec.name !== '' ? `Invalid fixture spec \`${spec.name}\`` : 'Invalid fixture spec';
}

/**
 * Checks what only a fixture spec has (`port`, and `{port}` used without one); the rest is the
 * manager's to check.
 * @throws InvalidSpecError
 */
export function checkFixtureSpec(spec: unknown): PortRequest {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidSpecError('', spec, `Invalid fixture spec: expected a process spec object (\`{ command, args, readiness, port }\`), got ${spec === null ? 'null' : typeof spec}`);
  }
  const fixture = spec as FixtureSpec;
  const port = fixture.port;
  if (port !== undefined && port !== 'auto' && !(Number.isInteger(port) && port >= 1 && port <= 65_535)) {
    throw new InvalidSpecError(
      'port',
      port,
      `${describe(fixture)}: \`port\` must be 'auto' (a free port chosen for this fixture) or a port number from 1 to 65535, got ${JSON.stringify(port)}`,
    );
  }
  if ('instances' in fixture && fixture.instances !== undefined) {
    throw new InvalidSpecError('instances', fixture.instances, `${describe(fixture)}: a fixture is one process; start one fixture per instance instead of \`instances\``);
  }
  if (port === undefined) {
    const where = placeholderField(fixture);
    if (where !== undefined) {
      throw new InvalidSpecError(
        where,
        PORT_PLACEHOLDER,
        `${describe(fixture)}: \`${where}\` uses \`${PORT_PLACEHOLDER}\`, but the fixture has no \`port\` — add \`port: 'auto'\` (or a number) to give it one`,
      );
    }
  }
  return port;
}

/** The first field that uses the placeholder, for the error of a spec without a port. */
function placeholderField(spec: FixtureSpec): string | undefined {
  const has = (text: unknown): boolean => typeof text === 'string' && text.includes(PORT_PLACEHOLDER);
  if (has(spec.command)) return 'command';
  const arg = (spec.args ?? []).findIndex(has);
  if (arg >= 0) return `args[${arg}]`;
  for (const [key, value] of Object.entries(spec.env ?? {})) if (has(value)) return `env.${key}`;
  const probes: [string, FixtureProbe | undefined][] = [['readiness', spec.readiness]];
  const liveness = spec.liveness;
  if (Array.isArray(liveness)) liveness.forEach((p, i) => probes.push([`liveness[${i}]`, p]));
  else probes.push(['liveness', liveness]);
  for (const [at, probe] of probes) {
    if (!probe) continue;
    if (probe.type === 'http' && has(probe.url)) return `${at}.url`;
    if (probe.type === 'tcp' && has(probe.port)) return `${at}.port`;
    if (probe.type === 'exec') {
      if (has(probe.command)) return `${at}.command`;
      const execArg = (probe.args ?? []).findIndex(has);
      if (execArg >= 0) return `${at}.args[${execArg}]`;
    }
  }
  return undefined;
}

/**
 * A name for a fixture that has none: the script it runs (`node server.js` → `server`), else the
 * program (`redis-server`).
 */
export function defaultName(spec: FixtureSpec): string {
  const script = scriptOf(spec.args ?? []);
  const from = script ?? String(spec.command ?? 'fixture');
  const base = basename(from, extname(from)).replace(/[#/\s]+/g, '-');
  return base === '' ? 'fixture' : base;
}

/** Options of common runtimes that take a value (`--import tsx`): that value is not the script. */
const VALUE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '--title', '-m']);
const SCRIPT = /\.(?:[cm]?[jt]sx?|py|rb|sh|php|pl)$/;

/** The script among a command's arguments: the first that looks like one and is no option's value. */
function scriptOf(args: readonly unknown[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'string' || arg === '') continue;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    if (SCRIPT.test(arg)) return arg;
  }
  return undefined;
}

function replace(text: string, port: number): string {
  return text.split(PORT_PLACEHOLDER).join(String(port));
}

function probeWithPort(probe: FixtureProbe, port: number | undefined): Probe {
  if (port === undefined) return probe as Probe;
  switch (probe.type) {
    case 'http':
      return { ...probe, url: replace(probe.url, port) };
    case 'tcp':
      return { ...probe, port: probe.port === PORT_PLACEHOLDER ? port : probe.port };
    case 'exec':
      return { ...probe, command: replace(probe.command, port), ...(probe.args ? { args: probe.args.map((a) => replace(a, port)) } : {}) };
    default:
      return probe;
  }
}

/**
 * The process spec of a fixture: `name`, and with a port, `{port}` replaced in `command`, `args`,
 * `env` values and probes (http `url`, tcp `port: '{port}'`, exec `command` and `args`), and `PORT`
 * set unless `env` has it.
 */
export function toProcessSpec(spec: FixtureSpec, name: string, port: number | undefined): ProcessSpec {
  const { port: _port, name: _name, readiness, liveness, ...rest } = spec;
  const out: ProcessSpec = { ...rest, name };
  if (readiness) out.readiness = probeWithPort(readiness, port);
  if (liveness) out.liveness = Array.isArray(liveness) ? liveness.map((p) => probeWithPort(p, port)) : probeWithPort(liveness, port);
  if (port === undefined) return out;
  out.command = replace(spec.command, port);
  if (spec.args) out.args = spec.args.map((a) => (typeof a === 'string' ? replace(a, port) : a));
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(spec.env ?? {})) env[key] = typeof value === 'string' ? replace(value, port) : value;
  if (!('PORT' in env)) env.PORT = String(port);
  out.env = env;
  return out;
}
