/**
 * Type tests of the public surface: the event map, spec unions and handles.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  ProcessManager,
  InvalidSpecError,
  backoff,
  type ChildSpec,
  type ExitEvent,
  type Handle,
  type JobResult,
  type ProcessSpec,
  type ProcvisorEvents,
  type Snapshot,
  type SupervisorSpec,
} from '../src/index.js';

describe('public types', () => {
  it('types every event with one payload object', () => {
    const pm = new ProcessManager();
    pm.on('exit', (e) => {
      expectTypeOf(e).toEqualTypeOf<ExitEvent>();
      expectTypeOf(e.class).toEqualTypeOf<'normal' | 'shutdown' | 'abnormal'>();
      expectTypeOf(e.willRestart).toBeBoolean();
    });
    pm.on('output', (e) => expectTypeOf(e.stream).toEqualTypeOf<'stdout' | 'stderr'>());
    pm.on('supervisor:restart', (e) => expectTypeOf(e.children).toEqualTypeOf<string[]>());
    expectTypeOf<Parameters<ProcvisorEvents['spawn']>[0]['pid']>().toBeNumber();
    // @ts-expect-error unknown events are rejected
    pm.on('exited', () => {});
    void pm.shutdown();
  });

  it('accepts process and supervisor specs as ChildSpec', () => {
    expectTypeOf<ProcessSpec>().toMatchTypeOf<ChildSpec>();
    expectTypeOf<SupervisorSpec>().toMatchTypeOf<ChildSpec>();
    const spec: ChildSpec = { name: 'a', strategy: 'one-for-all', children: [{ name: 'b', command: 'true' }] };
    expectTypeOf(spec).toMatchTypeOf<ChildSpec>();
    // @ts-expect-error strategy is a closed set
    const bad: SupervisorSpec = { name: 'x', strategy: 'all-for-one', children: [] };
    void bad;
    expectTypeOf(backoff.fixed('1s')).toMatchTypeOf<ProcessSpec['backoff']>();
  });

  it('returns handles and plain snapshots', () => {
    const pm = new ProcessManager();
    expectTypeOf(pm.start).returns.toEqualTypeOf<Promise<Handle>>();
    expectTypeOf(pm.list).returns.toEqualTypeOf<Snapshot[]>();
    expectTypeOf(pm.run).returns.toEqualTypeOf<Promise<JobResult>>();
    expectTypeOf<InvalidSpecError['code']>().toEqualTypeOf<'INVALID_SPEC'>();
    void pm.shutdown();
  });
});
