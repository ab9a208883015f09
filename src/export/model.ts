/**
 * What every exporter works from: the specs resolved (defaults filled, durations in ms) exactly as
 * a manager would resolve them, each beside the spec as written (to tell a field the user set from
 * a default), arranged as the tree they form, with each node's predecessor in start order.
 */
import { InvalidArgumentError } from '../api/errors.js';
import type { ChildSpec, ManagerOptions } from '../api/types.js';
import { resolveChildSpec, resolveManagerOptions } from '../spec/resolve.js';
import type { ResolvedChildSpec, ResolvedProcessSpec, ResolvedSupervisorSpec } from '../spec/resolved.js';
import type { ExportInput } from './types.js';

/** A spec as the user wrote it, read only to see which fields were set. */
export type RawSpec = Readonly<Record<string, unknown>>;

interface NodeBase {
  /** The supervisor it sits in; undefined at the top level. */
  readonly parent: SupervisorNode | undefined;
  /**
   * The sibling started just before it, which must be started (spawned and, with a readiness
   * probe, ready) before this one starts; undefined for the first.
   */
  readonly previous: ExportNode | undefined;
  readonly raw: RawSpec;
}

/** One process of the tree. */
export interface ProcessNode extends NodeBase {
  readonly kind: 'process';
  readonly spec: ResolvedProcessSpec;
}

/** One supervisor of the tree. */
export interface SupervisorNode extends NodeBase {
  readonly kind: 'supervisor';
  readonly spec: ResolvedSupervisorSpec;
  readonly children: readonly ExportNode[];
}

export type ExportNode = ProcessNode | SupervisorNode;

/** The whole config, as a tree and as flat lists in start order. */
export interface ExportModel {
  readonly roots: readonly ExportNode[];
  readonly processes: readonly ProcessNode[];
  readonly supervisors: readonly SupervisorNode[];
}

function readInput(input: ExportInput): { specs: readonly ChildSpec[]; manager: ManagerOptions | undefined } {
  if (Array.isArray(input)) return { specs: input, manager: undefined };
  const config = input as Exclude<ExportInput, readonly ChildSpec[]>;
  if (typeof config !== 'object' || config === null || !Array.isArray(config.processes)) {
    throw new InvalidArgumentError('processes', config, 'Expected a config `{ processes: [...], manager? }` or an array of specs to export');
  }
  return { specs: config.processes, manager: config.manager };
}

/**
 * Manager options that are defaults of every child and change what a child does (`output` and
 * `sampling` are the host's own business: the command line sets `sampling` for its status table).
 */
const INHERITED_KEYS = ['restart', 'backoff', 'intensity', 'shutdown', 'startTimeout', 'minUptime'] as const;

/**
 * Resolves every spec (throwing `InvalidSpecError` for the first invalid one, as a manager would)
 * and builds the tree.
 */
export function buildModel(input: ExportInput): ExportModel {
  const { specs, manager } = readInput(input);
  // `limits` need sampling on a host; an engine enforces them itself, so a config without sampling
  // is exported as the command runs it (sampling every second, `procvisor start`'s default).
  const { defaults } = resolveManagerOptions({ ...manager, sampling: manager?.sampling === undefined || manager.sampling === false ? { interval: '1s' } : manager.sampling });
  // A child default the manager sets counts as set by the user for every spec that lacks it.
  const inherited: Record<string, unknown> = {};
  for (const key of INHERITED_KEYS) if (manager?.[key] !== undefined) inherited[key] = manager[key];
  const processes: ProcessNode[] = [];
  const supervisors: SupervisorNode[] = [];
  const names = new Set<string>();
  const build = (spec: ResolvedChildSpec, raw: RawSpec, parent: SupervisorNode | undefined, previous: ExportNode | undefined): ExportNode => {
    if (names.has(spec.name)) throw new InvalidArgumentError('name', spec.name, `Expected names unique across the config, got \`${spec.name}\` twice`);
    names.add(spec.name);
    if (spec.kind === 'process') {
      const node: ProcessNode = { kind: 'process', spec, raw: { ...inherited, ...raw }, parent, previous };
      processes.push(node);
      return node;
    }
    const children: ExportNode[] = [];
    const node: SupervisorNode = { kind: 'supervisor', spec, raw, parent, previous, children };
    supervisors.push(node);
    const rawChildren = Array.isArray(raw.children) ? (raw.children as RawSpec[]) : [];
    spec.children.forEach((child, i) => children.push(build(child, rawChildren[i] ?? {}, node, children.at(-1))));
    return node;
  };
  const roots: ExportNode[] = [];
  specs.forEach((raw, i) => roots.push(build(resolveChildSpec(raw, defaults, `processes[${i}]`), raw as unknown as RawSpec, undefined, roots.at(-1))));
  return { roots, processes, supervisors };
}

/** Every process of a node: itself, or all processes under a supervisor. */
export function processesOf(node: ExportNode): ProcessNode[] {
  return node.kind === 'process' ? [node] : node.children.flatMap(processesOf);
}

/** True when the user wrote `field` (a dotted path) in the spec. */
export function isSet(raw: RawSpec, field: string): boolean {
  let value: unknown = raw;
  for (const key of field.split('.')) {
    if (typeof value !== 'object' || value === null) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined;
}

/**
 * What must be started before `node` starts: its previous sibling, or for a first child, what
 * comes before its supervisor (a supervisor starts its first child when its own turn comes).
 */
export function predecessorOf(node: ExportNode): ExportNode | undefined {
  for (let at: ExportNode | undefined = node; at !== undefined; at = at.parent) {
    if (at.previous !== undefined) return at.previous;
  }
  return undefined;
}
