import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../src/index.js';
import type { ChildSpec, ExitEvent, SupervisorAutoShutdownEvent } from '../../src/index.js';
import { alive, until } from '../helpers.js';
import { manager, pidOf, pids, poke, puppet, reach, record, runningAgain, trace } from './helpers.js';

const transient = { restart: 'transient' as const, significant: true };
const temporary = { restart: 'temporary' as const, significant: true };

describe('automatic shutdown', () => {
  it('any-significant: shuts down when a significant child ends by itself and is not restarted', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'outer',
      strategy: 'one-for-one',
      children: [
        puppet('x'),
        {
          name: 'inner',
          strategy: 'one-for-one',
          restart: 'transient',
          autoShutdown: 'any-significant',
          children: [puppet('s1', [], transient), puppet('s2', [], transient), puppet('n')],
        },
      ],
    });
    const before = pids(pm, ['x', 's2', 'n']);
    // An abnormal end of a transient child is restarted: no shutdown.
    await runningAgain(pm, { s1: poke(pm, 's1') });
    expect(pm.get('inner')?.state).toBe('running');
    poke(pm, 's1', 'SIGUSR2');
    await reach(pm, 'inner', 'stopped');
    const auto = events.filter((e) => e.event === 'supervisor:auto-shutdown').map((e) => e.payload as SupervisorAutoShutdownEvent);
    expect(auto).toEqual([expect.objectContaining({ name: 'inner', path: ['outer', 'inner'], child: 's1' })]);
    const since = events.slice(events.findIndex((e) => e.event === 'supervisor:auto-shutdown'));
    expect(trace(since, ['stop'])).toEqual(['stop:n', 'stop:s2']);
    expect(events.filter((e) => e.event === 'exit' && e.name === 'inner').map((e) => e.payload)).toEqual([
      expect.objectContaining({ class: 'shutdown', reason: 'auto-shutdown', willRestart: false }),
    ]);
    expect([alive(before.s2 as number), alive(before.n as number)]).toEqual([false, false]);
    expect(pidOf(pm, 'x')).toBe(before.x);
    expect(pm.get('outer')?.state).toBe('running');
  });

  it('all-significant: shuts down when the last significant child ends', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-one',
      autoShutdown: 'all-significant',
      children: [puppet('s1', [], temporary), puppet('s2', [], temporary), puppet('n')],
    });
    poke(pm, 's1', 'SIGUSR2');
    await until(() => pm.get('s1') === undefined, 10_000, 's1 removed');
    expect(pm.get('tree')?.state).toBe('running');
    poke(pm, 's2');
    await reach(pm, 'tree', 'stopped');
    expect(trace(events, ['supervisor:auto-shutdown'])).toEqual(['supervisor:auto-shutdown:tree']);
    expect(pm.get('n')?.state).toBe('stopped');
  });

  it('is not triggered by manual stops; a child stopped by hand no longer holds up all-significant', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'any',
      strategy: 'one-for-one',
      autoShutdown: 'any-significant',
      children: [puppet('s', [], transient), puppet('k')],
    });
    await pm.stop('s');
    await pm.remove('s');
    expect(pm.get('any')?.state).toBe('running');
    await pm.start({
      name: 'all',
      strategy: 'one-for-one',
      autoShutdown: 'all-significant',
      children: [puppet('t1', [], transient), puppet('t2', [], transient)],
    });
    await pm.stop('t1');
    expect(pm.get('all')?.state).toBe('running');
    poke(pm, 't2', 'SIGUSR2');
    await reach(pm, 'all', 'stopped');
    expect(trace(events, ['supervisor:auto-shutdown'])).toEqual(['supervisor:auto-shutdown:all']);
    expect(pm.get('any')?.state).toBe('running');
  });

  it('is not triggered by bystander stops in a group restart', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start({
      name: 'tree',
      strategy: 'one-for-all',
      autoShutdown: 'any-significant',
      children: [puppet('n'), puppet('s', [], transient), puppet('t', [], temporary)],
    });
    const before = pids(pm, ['n', 's']);
    poke(pm, 'n');
    await runningAgain(pm, before);
    expect(pm.get('t')).toBeUndefined();
    expect(pm.get('tree')?.state).toBe('running');
    expect(trace(events, ['supervisor:auto-shutdown'])).toEqual([]);
  });

  it('cascades through significant supervisors', async () => {
    const pm = manager();
    const events = record(pm);
    await pm.start(puppet('bystander'));
    await pm.start({
      name: 'outer',
      strategy: 'one-for-one',
      autoShutdown: 'any-significant',
      children: [
        puppet('x'),
        {
          name: 'inner',
          strategy: 'one-for-one',
          restart: 'transient',
          significant: true,
          autoShutdown: 'any-significant',
          children: [puppet('s', [], transient)],
        },
      ],
    });
    const x = pidOf(pm, 'x');
    poke(pm, 's', 'SIGUSR2');
    await reach(pm, 'outer', 'stopped');
    expect(trace(events, ['supervisor:auto-shutdown'])).toEqual(['supervisor:auto-shutdown:inner', 'supervisor:auto-shutdown:outer']);
    const outerExit = events.find((e) => e.event === 'exit' && e.name === 'outer')?.payload as ExitEvent;
    expect([outerExit.class, outerExit.reason]).toEqual(['shutdown', 'auto-shutdown']);
    expect(alive(x)).toBe(false);
    expect(pm.get('bystander')?.state).toBe('running');
  });
});

describe('validation before anything spawns', () => {
  const ok = puppet('first');
  const invalid: [string, ChildSpec][] = [
    ['unknown strategy', { name: 't', strategy: 'one-for-some' as 'one-for-one', children: [ok] }],
    ['duplicate names', { name: 't', strategy: 'one-for-one', children: [ok, { name: 'u', strategy: 'one-for-one', children: [puppet('first')] }] }],
    ['a duplicate of the supervisor itself', { name: 'first', strategy: 'one-for-one', children: [ok] }],
    ['significant permanent child', { name: 't', strategy: 'one-for-one', autoShutdown: 'any-significant', children: [ok, puppet('p', [], { significant: true })] }],
    ['significant under autoShutdown never', { name: 't', strategy: 'one-for-one', children: [ok, puppet('p', [], transient)] }],
    ['period 0', { name: 't', strategy: 'one-for-one', intensity: { maxRestarts: 1, period: 0 }, children: [ok] }],
    ['negative maxRestarts', { name: 't', strategy: 'one-for-one', intensity: { maxRestarts: -1, period: 1000 }, children: [ok] }],
    ['empty children', { name: 't', strategy: 'one-for-one', children: [] }],
    ['non-array children', { name: 't', strategy: 'one-for-one', children: ok as unknown as ChildSpec[] }],
  ];
  it.each(invalid)('rejects %s with INVALID_SPEC', async (_what, spec) => {
    const pm = manager();
    const events = record(pm);
    const error = await pm.start(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSpecError);
    expect((error as InvalidSpecError).code).toBe('INVALID_SPEC');
    expect(events.filter((e) => e.event === 'spawn')).toEqual([]);
    expect(pm.list()).toEqual([]);
  });

  it('rejects a significant child added at runtime under autoShutdown never', async () => {
    const pm = manager();
    await pm.start({ name: 't', strategy: 'one-for-one', children: [puppet('a')] });
    const error = await pm.start(puppet('s', [], transient), { parent: 't' }).catch((e: unknown) => e);
    expect((error as InvalidSpecError).code).toBe('INVALID_SPEC');
    expect(pm.get('s')).toBeUndefined();
  });
});
