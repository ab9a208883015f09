/**
 * Property test: random crashes, normal ends, manual stops, starts and additions drive a small tree
 * of real processes, and a small executable model of SEMANTICS.md predicts the registry after every
 * step: names in start order, states, which children keep their PID and which get a new one. After
 * every step no puppet process outside the model is alive.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProcessManager, ProcessSpec, RestartType, Strategy } from '../../src/index.js';
import { scanProcesses } from '../../src/os/proc.js';
import { until } from '../helpers.js';
import { manager, puppet, record } from './helpers.js';

function child(name: string, restart: RestartType): ProcessSpec {
  return puppet(name, [], { restart });
}

// ─── The model ───

type ModelState = 'running' | 'stopped' | 'exited';
interface ModelChild {
  name: string;
  restart: RestartType;
  state: ModelState;
}
interface Model {
  strategy: Strategy;
  children: ModelChild[];
  added: number;
}
/** What a step predicts about each child's PID: a new incarnation, or the same one. */
type PidChange = Map<string, 'new' | 'same'>;
/** The `supervisor:restart` events a step predicts, as `child:children`. */
type Restarts = string[];

/** SEMANTICS: a child ended by itself, with this exit class. Returns the PID changes and restarts. */
function endBySelf(model: Model, target: ModelChild, clean: boolean): [PidChange, Restarts] {
  const change: PidChange = new Map(model.children.filter((c) => c.state === 'running').map((c) => [c.name, 'same']));
  change.delete(target.name);
  if (target.restart === 'temporary') {
    model.children = model.children.filter((c) => c !== target);
    return [change, []];
  }
  if (target.restart === 'transient' && clean) {
    target.state = 'exited';
    return [change, []];
  }
  const index = model.children.indexOf(target);
  const group = model.children.filter(
    (c, i) => c === target || (c.state === 'running' && (model.strategy === 'one-for-all' || (model.strategy === 'rest-for-one' && i > index))),
  );
  for (const member of group) {
    if (member !== target && member.restart === 'temporary') {
      model.children = model.children.filter((c) => c !== member);
      change.delete(member.name);
    } else {
      change.set(member.name, 'new');
    }
  }
  const restarted = group.filter((c) => model.children.includes(c)).map((c) => c.name);
  return [change, [`${target.name}:${restarted.join(',')}`]];
}

function unchanged(model: Model): PidChange {
  return new Map(model.children.filter((c) => c.state === 'running').map((c) => [c.name, 'same']));
}

// ─── The real side ───

interface Real {
  pm: ProcessManager;
  /** `supervisor:restart` events so far, as `child:children`. */
  restarts: string[];
}

function pidsNow(pm: ProcessManager): Map<string, number | undefined> {
  return new Map(pm.list().map((s) => [s.name, s.pid]));
}

/** Puppet processes of this test that are alive: children of this process running the fixture. */
function livePuppets(): number[] {
  const out: number[] = [];
  for (const stat of scanProcesses().values()) {
    if (stat.ppid !== process.pid || stat.state === 'Z' || stat.state === 'X') continue;
    try {
      if (readFileSync(`/proc/${stat.pid}/cmdline`, 'latin1').includes('sup-puppet.sh')) out.push(stat.pid);
    } catch {}
  }
  return out.sort((a, b) => a - b);
}

/** The registry as the model predicts it, or a description of the first difference. */
function mismatch(pm: ProcessManager, model: Model, before: Map<string, number | undefined>, change: PidChange): string | undefined {
  const rows = pm.list().filter((s) => s.parent === 'tree');
  const actual = rows.map((s) => `${s.name}:${s.state}`).join(' ');
  const expected = model.children.map((c) => `${c.name}:${c.state}`).join(' ');
  if (actual !== expected) return `registry ${actual} ≠ model ${expected}`;
  if (pm.get('tree')?.state !== 'running') return `tree is ${pm.get('tree')?.state}`;
  for (const row of rows) {
    const expect = change.get(row.name);
    if (row.state === 'running' && row.pid === undefined) return `${row.name} has no pid`;
    if (expect === 'same' && row.pid !== before.get(row.name)) return `${row.name} changed its pid`;
    if (expect === 'new' && row.pid === before.get(row.name)) return `${row.name} kept its pid`;
  }
  const running = rows.filter((r) => r.state === 'running').map((r) => r.pid as number).sort((a, b) => a - b);
  const live = livePuppets();
  if (live.join() !== running.join()) return `live puppets ${live.join()} ≠ running ${running.join()}`;
  return undefined;
}

/** Waits until the registry matches the model, then checks the restarts the step caused. */
async function settle(r: Real, model: Model, before: Map<string, number | undefined>, change: PidChange, restarts: Restarts = []): Promise<void> {
  try {
    await until(() => mismatch(r.pm, model, before, change) === undefined, 8000, 'the registry to match the model');
  } catch {
    expect(mismatch(r.pm, model, before, change)).toBeUndefined();
  }
  expect(r.restarts.splice(0)).toEqual(restarts);
}

// ─── Commands ───

const pick = (model: Model, i: number, ok: (c: ModelChild) => boolean): ModelChild | undefined => {
  const candidates = model.children.filter(ok);
  return candidates[i % Math.max(1, candidates.length)];
};

class EndCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly i: number,
    readonly clean: boolean,
  ) {}
  check = (m: Readonly<Model>): boolean => pick(m as Model, this.i, (c) => c.state === 'running') !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const target = pick(m, this.i, (c) => c.state === 'running') as ModelChild;
    const before = pidsNow(r.pm);
    process.kill(before.get(target.name) as number, this.clean ? 'SIGUSR2' : 'SIGKILL');
    await settle(r, m, before, ...endBySelf(m, target, this.clean));
  }
  toString = (): string => `${this.clean ? 'end' : 'crash'}(${this.i})`;
}

class StopCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>): boolean => m.children.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const target = pick(m, this.i, () => true) as ModelChild;
    const before = pidsNow(r.pm);
    await r.pm.stop(target.name);
    target.state = 'stopped';
    await settle(r, m, before, unchanged(m));
  }
  toString = (): string => `stop(${this.i})`;
}

class StartCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>): boolean => pick(m as Model, this.i, (c) => c.state !== 'running') !== undefined;
  async run(m: Model, r: Real): Promise<void> {
    const target = pick(m, this.i, (c) => c.state !== 'running') as ModelChild;
    const before = pidsNow(r.pm);
    await r.pm.start(target.name);
    const change = unchanged(m);
    target.state = 'running';
    change.set(target.name, 'new');
    await settle(r, m, before, change);
  }
  toString = (): string => `start(${this.i})`;
}

class AddCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly restart: RestartType) {}
  check = (m: Readonly<Model>): boolean => m.children.length < 7;
  async run(m: Model, r: Real): Promise<void> {
    const name = `d${m.added++}`;
    const before = pidsNow(r.pm);
    await r.pm.start(child(name, this.restart), { parent: 'tree' });
    const change = unchanged(m);
    m.children.push({ name, restart: this.restart, state: 'running' });
    change.set(name, 'new');
    await settle(r, m, before, change);
  }
  toString = (): string => `add(${this.restart})`;
}

const restartType = fc.constantFrom<RestartType>('permanent', 'transient', 'temporary');
const commands = fc.commands(
  [
    fc.nat(6).map((i) => new EndCommand(i, false)),
    fc.nat(6).map((i) => new EndCommand(i, true)),
    fc.nat(6).map((i) => new StopCommand(i)),
    fc.nat(6).map((i) => new StartCommand(i)),
    restartType.map((t) => new AddCommand(t)),
  ],
  { maxCommands: 8 },
);

const STATIC: [string, RestartType][] = [
  ['p0', 'permanent'],
  ['t1', 'transient'],
  ['x2', 'temporary'],
  ['p3', 'permanent'],
];

describe.runIf(process.platform === 'linux')('supervisor against its model', () => {
  it('matches the model after every step, with no stray process', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Strategy>('one-for-one', 'one-for-all', 'rest-for-one'), commands, async (strategy, cmds) => {
        const pm = manager({ backoff: { type: 'fixed', delay: 0 } });
        const events = record(pm);
        const restarts: string[] = [];
        pm.on('supervisor:restart', (e) => restarts.push(`${e.child}:${e.children.join(',')}`));
        try {
          await pm.start({
            name: 'tree',
            strategy,
            intensity: { maxRestarts: 100, period: 60_000 },
            children: STATIC.map(([name, restart]) => child(name, restart)),
          });
          const model: Model = { strategy, children: STATIC.map(([name, restart]) => ({ name, restart, state: 'running' })), added: 0 };
          await fc.asyncModelRun(() => ({ model, real: { pm, restarts } }), cmds);
          expect(events.filter((e) => e.event === 'error')).toEqual([]);
        } finally {
          await pm.shutdown();
        }
        expect(livePuppets()).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });
});
