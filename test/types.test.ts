/**
 * Type tests of the public surface: the event map, spec unions and handles.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DEFAULTS,
  EVENTS,
  ProcessManager,
  InvalidSpecError,
  isProcvisorError,
  type Duration,
  type EventName,
  type ExponentialBackoffOptions,
  type FixedBackoffOptions,
  type LinearBackoffOptions,
  type ProcvisorError,
  type Size,
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

  it('lists every event in EVENTS, once, and nothing else', () => {
    // Both directions: a name missing from EVENTS, or one that is not an event, fails to compile.
    expectTypeOf<(typeof EVENTS)[number]>().toEqualTypeOf<keyof ProcvisorEvents>();
    expectTypeOf<EventName>().toEqualTypeOf<keyof ProcvisorEvents>();
    expect(new Set(EVENTS).size).toBe(EVENTS.length);
  });

  it('keeps DEFAULTS to its user-facing keys (an internal tuning value fails to compile here)', () => {
    expectTypeOf<keyof typeof DEFAULTS>().toEqualTypeOf<
      | 'restart'
      | 'successExitCodes'
      | 'extendEnv'
      | 'backoff'
      | 'intensity'
      | 'minUptime'
      | 'restartBudget'
      | 'shutdown'
      | 'supervisorShutdownTimeout'
      | 'startTimeout'
      | 'output'
      | 'probe'
      | 'heartbeat'
      | 'limits'
      | 'sampling'
      | 'watch'
      | 'maxConcurrentJobs'
      | 'job'
      | 'orphans'
      | 'handleSignals'
      | 'keepAlive'
      | 'cgroups'
      | 'autoShutdown'
      | 'ipcRequestTimeout'
      | 'stdin'
      | 'unbufferedEnv'
    >();
  });

  it('types the backoff builders with the exported option types', () => {
    expectTypeOf(backoff.exponential).parameter(0).toEqualTypeOf<ExponentialBackoffOptions | undefined>();
    expectTypeOf(backoff.linear).parameter(0).toEqualTypeOf<LinearBackoffOptions | undefined>();
    expectTypeOf(backoff.fixed).parameter(1).toEqualTypeOf<FixedBackoffOptions | undefined>();
    expectTypeOf<keyof ExponentialBackoffOptions>().toEqualTypeOf<'initial' | 'factor' | 'max' | 'jitter' | 'resetAfter'>();
    expectTypeOf<keyof LinearBackoffOptions>().toEqualTypeOf<'initial' | 'step' | 'max' | 'jitter' | 'resetAfter'>();
    expectTypeOf<keyof FixedBackoffOptions>().toEqualTypeOf<'resetAfter'>();
    // @ts-expect-error the type is the builder's, not an option
    backoff.exponential({ type: 'linear' });
    expect(backoff.fixed('1s', { resetAfter: '1m' })).toEqual({ type: 'fixed', delay: '1s', resetAfter: '1m' });
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
    expectTypeOf(pm.get).returns.toEqualTypeOf<Handle | undefined>();
    expectTypeOf(pm.list).returns.toEqualTypeOf<Snapshot[]>();
    expectTypeOf(pm.run).returns.toEqualTypeOf<Promise<JobResult>>();
    expectTypeOf<InvalidSpecError['code']>().toEqualTypeOf<'INVALID_SPEC'>();
    void pm.shutdown();
  });

  it('types readyData from the readiness probe of the spec given to start', async () => {
    const pm = new ProcessManager();
    const never = <T>(): Promise<T> => new Promise<T>(() => {});
    // Only the types matter: nothing is started (the calls are never awaited to completion).
    const typed = async (): Promise<void> => {
      const log = await pm.start({ name: 'a', command: 'x', readiness: { type: 'log', pattern: /on (?<port>\d+)/ } });
      expectTypeOf(log.readyData).toEqualTypeOf<RegExpExecArray | undefined>();
      const http = await pm.start({ name: 'b', command: 'x', readiness: { type: 'http', url: 'http://127.0.0.1:1/' } });
      expectTypeOf(http.readyData).toEqualTypeOf<{ status: number } | undefined>();
      const custom = await pm.start({ name: 'c', command: 'x', readiness: { type: 'custom', check: async () => ({ ok: true, data: { v: 1 } }) } });
      expectTypeOf(custom.readyData).toEqualTypeOf<{ v: number } | undefined>();
      const none = await pm.start({ name: 'd', command: 'x' });
      expectTypeOf(none.readyData).toEqualTypeOf<undefined>();
      const tree = await pm.start({ name: 't', strategy: 'one-for-all', children: [] });
      expectTypeOf(tree.readyData).toEqualTypeOf<undefined>();
      const spec: ProcessSpec = { name: 'e', command: 'x' };
      expectTypeOf((await pm.start(spec)).readyData).toEqualTypeOf<unknown>();
      expectTypeOf((await pm.start('e')).readyData).toEqualTypeOf<unknown>();
      expectTypeOf(await log.restart()).toEqualTypeOf<Handle<RegExpExecArray>>();
      await never<void>();
    };
    void typed;
    await pm.shutdown();
  });

  it('rejects malformed durations and sizes at compile time', () => {
    const ok: Duration[] = [250, '250ms', '1.5s', '2m', '1h', '1d', '10sec', '5min'];
    const sizes: Size[] = [1024, '512MB', '1.5GiB', '64kb', '10B'];
    // @ts-expect-error words are not a duration
    const words: Duration = 'ten seconds';
    // @ts-expect-error an unknown unit
    const spaced: Duration = '5secs';

    // @ts-expect-error not a size unit
    const bad: Size = '5 parsecs';
    void [ok, sizes, words, spaced, bad];
  });

  it('takes an options object on every wait', () => {
    const pm = new ProcessManager();
    // Only the types matter: the calls are never made.
    const typed = (): void => {
      // @ts-expect-error positional timeouts are gone
      void pm.waitFor('a', 'running', '1s');
      // @ts-expect-error shutdown takes { timeout, signal }
      void pm.shutdown('1s');
    };
    void typed;
    expectTypeOf(pm.waitFor).parameter(2).toEqualTypeOf<{ timeout?: Duration; signal?: AbortSignal } | undefined>();
    void pm.shutdown({ timeout: '5s', signal: AbortSignal.timeout(1000) });
  });

  it('brands every error', () => {
    const value: unknown = new InvalidSpecError('x', 1, 'm');
    if (isProcvisorError(value)) expectTypeOf(value).toEqualTypeOf<ProcvisorError>();
    expectTypeOf<ProcvisorError['code']>().toEqualTypeOf<import('../src/index.js').ErrorCode>();
  });
});
