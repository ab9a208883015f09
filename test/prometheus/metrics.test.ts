/**
 * `procvisor/prometheus` with real processes: the exposition parses strictly, values follow a
 * running process, a crash and restart, a removed entry, jobs, and a custom registry and prefix.
 */
import { Registry, register } from 'prom-client';
import { describe, it } from 'vitest';
import { InvalidArgumentError, ProcessManager, type ProcessSpec } from '../../src/index.js';
import { collectMetrics } from '../../src/prometheus/index.js';
import { NODE, track, until } from '../helpers.js';
import { labelValues, parseExposition, valueOf, type Family } from './exposition.js';

/** Idle until stopped. */
const idle = (name: string, extra: Partial<ProcessSpec> = {}): ProcessSpec => ({ name, command: NODE, args: ['-e', 'setInterval(() => {}, 1e6)'], ...extra });
/** Exits 3 in its first incarnation, then idles. */
const crashOnce = (name: string): ProcessSpec => ({
  name,
  command: NODE,
  args: ['-e', `if (process.env.PROCVISOR_RESTARTS === '0') process.exit(3); setInterval(() => {}, 1e6)`],
});

function manager(sampling = false): ProcessManager {
  return track(
    new ProcessManager({
      backoff: { type: 'fixed', delay: 0 },
      shutdown: { timeout: 2000 },
      ...(sampling ? { sampling: { interval: 30 } } : {}),
    }),
  );
}

async function scrape(registry: Registry): Promise<Map<string, Family>> {
  const families = parseExposition(await registry.metrics());
  for (const family of families.values()) {
    if (/memory/.test(family.name) && !family.name.endsWith('_bytes')) throw new Error(`${family.name}: memory without _bytes`);
    if (/time|duration|readiness/.test(family.name) && !/_seconds(_total)?$/.test(family.name)) throw new Error(`${family.name}: time without _seconds`);
  }
  return families;
}

describe.concurrent('collectMetrics', () => {
  it('shows a running process: up, state, health, usage, readiness', async ({ expect }) => {
    const pm = manager(true);
    const registry = new Registry();
    const collector = collectMetrics(pm, { registry });
    const h = await pm.start(idle('api'));
    await until(() => h.usage !== undefined, 10_000, 'a resource sample');
    const m = await scrape(registry);
    expect(valueOf(m, 'procvisor_up', { name: 'api' })).toBe(1);
    expect(valueOf(m, 'procvisor_state', { name: 'api', state: 'running' })).toBe(1);
    expect(m.get('procvisor_state')?.samples.filter((s) => s.labels.name === 'api' && s.value === 1)).toHaveLength(1);
    // One series per entry: its current state (not one per possible state).
    expect(m.get('procvisor_state')?.samples.filter((s) => s.labels.name === 'api')).toHaveLength(1);
    expect(m.get('procvisor_health')?.samples.filter((s) => s.labels.name === 'api')).toHaveLength(1);
    expect(valueOf(m, 'procvisor_health', { name: 'api', status: h.health })).toBe(1);
    expect(valueOf(m, 'procvisor_resident_memory_bytes', { name: 'api' })).toBeGreaterThan(1e6);
    expect(valueOf(m, 'procvisor_tree_resident_memory_bytes', { name: 'api' })).toBeGreaterThan(1e6);
    expect(valueOf(m, 'procvisor_tree_processes', { name: 'api' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, 'procvisor_tree_cpu_usage_ratio', { name: 'api' })).toBeGreaterThanOrEqual(0);
    // No per-process CPU ratio: rate() of cpu_seconds_total gives it.
    expect(m.has('procvisor_cpu_usage_ratio')).toBe(false);
    expect(valueOf(m, 'procvisor_cpu_seconds_total', { name: 'api' })).toBeGreaterThan(0);
    expect(m.get('procvisor_cpu_seconds_total')?.type).toBe('counter');
    if (process.platform === 'linux') {
      expect(valueOf(m, 'procvisor_open_fds', { name: 'api' })).toBeGreaterThan(2);
      expect(valueOf(m, 'procvisor_threads', { name: 'api' })).toBeGreaterThanOrEqual(1);
    }
    expect(valueOf(m, 'procvisor_start_time_seconds', { name: 'api' })).toBeCloseTo((h.startedAt ?? 0) / 1000, 3);
    expect(valueOf(m, 'procvisor_restarts_total', { name: 'api' })).toBe(0);
    // No exit yet: no exits_total series (a class appears with its first exit).
    expect(valueOf(m, 'procvisor_exits_total', { name: 'api', class: 'abnormal' })).toBeUndefined();
    // No failed start yet: no series (one appears with the first, as exits by class).
    expect(valueOf(m, 'procvisor_start_failures_total', { name: 'api' })).toBeUndefined();
    // Over every process, without a name label.
    expect(valueOf(m, 'procvisor_readiness_seconds_count', {})).toBe(1);
    expect(valueOf(m, 'procvisor_readiness_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(m.get('procvisor_readiness_seconds')?.samples.every((s) => s.labels.name === undefined)).toBe(true);
    expect(m.get('procvisor_readiness_seconds')?.type).toBe('histogram');
    expect(labelValues(m, 'pid').size).toBe(0);

    await pm.stop('api');
    const stopped = await scrape(registry);
    expect(valueOf(stopped, 'procvisor_up', { name: 'api' })).toBe(0);
    expect(valueOf(stopped, 'procvisor_state', { name: 'api', state: 'stopped' })).toBe(1);
    // No incarnation, no usage figures (the last sample is kept by the manager, not shown).
    expect(valueOf(stopped, 'procvisor_resident_memory_bytes', { name: 'api' })).toBeUndefined();
    expect(valueOf(stopped, 'procvisor_start_time_seconds', { name: 'api' })).toBeUndefined();
    collector.stop();
  });

  it('counts a crash and its restart, and forgets a removed entry', async ({ expect }) => {
    const pm = manager();
    const registry = new Registry();
    collectMetrics(pm, { registry });
    const h = await pm.start(crashOnce('crashy'));
    await pm.start(idle('steady'));
    await until(() => h.restarts === 1 && h.state === 'running', 10_000, 'the restart');
    const m = await scrape(registry);
    expect(valueOf(m, 'procvisor_restarts_total', { name: 'crashy' })).toBe(1);
    expect(valueOf(m, 'procvisor_exits_total', { name: 'crashy', class: 'abnormal' })).toBe(1);
    expect(valueOf(m, 'procvisor_exits_total', { name: 'crashy', class: 'normal' })).toBeUndefined();
    expect(valueOf(m, 'procvisor_up', { name: 'crashy' })).toBe(1);
    // crashy twice (its restart), steady once.
    expect(valueOf(m, 'procvisor_readiness_seconds_count', {})).toBe(3);
    expect(valueOf(m, 'procvisor_restarts_total', { name: 'steady' })).toBe(0);

    await pm.remove('crashy');
    const after = await scrape(registry);
    expect(labelValues(after, 'name')).toEqual(new Set(['steady']));
    expect(valueOf(after, 'procvisor_up', { name: 'steady' })).toBe(1);
  });

  it('times every probe check: a histogram by role, type and result, over every process', async ({ expect }) => {
    const pm = manager();
    const registry = new Registry();
    collectMetrics(pm, { registry });
    let readinessChecks = 0;
    let livenessChecks = 0;
    await pm.start(
      idle('probed', {
        // Fails once, then passes: two readiness checks, one of each result.
        readiness: { type: 'custom', interval: '10ms', check: () => Promise.resolve(++readinessChecks > 1) },
        liveness: [{ type: 'custom', interval: '10ms', check: () => Promise.resolve(++livenessChecks > 0) }],
      }),
    );
    await until(() => livenessChecks >= 2, 10_000, 'two liveness checks');
    const m = await scrape(registry);
    expect(m.get('procvisor_probe_duration_seconds')?.type).toBe('histogram');
    expect(valueOf(m, 'procvisor_probe_duration_seconds_count', { role: 'readiness', type: 'custom', result: 'fail' })).toBe(1);
    expect(valueOf(m, 'procvisor_probe_duration_seconds_count', { role: 'readiness', type: 'custom', result: 'pass' })).toBe(1);
    expect(valueOf(m, 'procvisor_probe_duration_seconds_count', { role: 'liveness', type: 'custom', result: 'pass' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(m, 'procvisor_probe_duration_seconds_sum', { role: 'readiness', type: 'custom', result: 'pass' })).toBeGreaterThanOrEqual(0);
    expect(m.get('procvisor_probe_duration_seconds')?.samples.every((s) => s.labels.name === undefined)).toBe(true);
  });

  it('counts a failed start', async ({ expect }) => {
    const pm = manager();
    const registry = new Registry();
    collectMetrics(pm, { registry });
    await expect(pm.start({ name: 'missing', command: '/nonexistent/procvisor-binary', restart: 'never' })).rejects.toThrow();
    const m = await scrape(registry);
    expect(valueOf(m, 'procvisor_start_failures_total', { name: 'missing' })).toBe(1);
    expect(valueOf(m, 'procvisor_up', { name: 'missing' })).toBe(0);
  });

  it('gives a supervisor its own states', async ({ expect }) => {
    const pm = manager();
    const registry = new Registry();
    collectMetrics(pm, { registry });
    await pm.start(idle('web', { instances: 2 }));
    const m = await scrape(registry);
    expect(labelValues(m, 'name')).toEqual(new Set(['web', 'web#0', 'web#1']));
    expect(m.get('procvisor_state')?.samples.filter((s) => s.labels.name === 'web')).toHaveLength(1);
    expect(valueOf(m, 'procvisor_state', { name: 'web', state: 'running' })).toBe(1);
    expect(valueOf(m, 'procvisor_up', { name: 'web#1' })).toBe(1);
    // Only processes have exit and start-failure counters until a supervisor itself exits.
    expect(valueOf(m, 'procvisor_exits_total', { name: 'web', class: 'abnormal' })).toBeUndefined();
  });

  it('counts jobs by status, never by name', async ({ expect }) => {
    const pm = manager();
    const registry = new Registry();
    collectMetrics(pm, { registry });
    const ok = await pm.run({ name: 'job-ok', command: NODE, args: ['-e', ''] });
    const bad = await pm.run({ name: 'job-bad', command: NODE, args: ['-e', 'process.exit(2)'] });
    expect([ok.status, bad.status]).toEqual(['succeeded', 'failed']);
    const m = await scrape(registry);
    expect(valueOf(m, 'procvisor_jobs_total', { status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'procvisor_jobs_total', { status: 'failed' })).toBe(1);
    expect(valueOf(m, 'procvisor_jobs_total', { status: 'timed-out' })).toBe(0);
    expect(labelValues(m, 'name').size).toBe(0);
  });

  it('takes a custom registry and prefix, and stop() unregisters', async ({ expect }) => {
    const pm = manager();
    const registry = new Registry();
    const collector = collectMetrics(pm, { registry, prefix: 'pv_' });
    await pm.start(idle('svc'));
    const m = await scrape(registry);
    expect([...m.keys()].every((name) => name.startsWith('pv_'))).toBe(true);
    expect([...collector.names].sort()).toEqual([...m.keys()].sort());
    expect(valueOf(m, 'pv_up', { name: 'svc' })).toBe(1);
    expect(register.getSingleMetric('pv_up')).toBeUndefined();
    expect(() => collectMetrics(pm, { registry, prefix: 'pv_' })).toThrow(/already been registered/);
    expect(registry.getMetricsAsArray()).toHaveLength(collector.names.length); // the failed call left nothing behind
    collector.stop();
    collector.stop();
    expect(await registry.metrics()).toBe('\n');
    const again = collectMetrics(pm, { registry, prefix: 'pv_' });
    expect(valueOf(await scrape(registry), 'pv_up', { name: 'svc' })).toBe(1);
    again.stop();
    expect(() => collectMetrics(pm, { registry, prefix: 'bad-prefix' })).toThrow(InvalidArgumentError);
  });

  it('links its help texts to the published docs, never to a docs/ path (docs do not ship)', async ({ expect }) => {
    const pm = manager();
    const registry = new Registry();
    const collector = collectMetrics(pm, { registry });
    const helps = (await registry.getMetricsAsJSON()).map((metric) => metric.help);
    collector.stop();
    expect(helps.filter((help) => /(?<!github\.com\/procvisor\/procvisor\/blob\/main\/)docs\//.test(help))).toEqual([]);
    expect(helps).toContain(
      'Incarnations that ended by themselves, by exit class (normal, shutdown, abnormal: see https://github.com/procvisor/procvisor/blob/main/docs/semantics.md#exit-classes).',
    );
  });

  it("registers with prom-client's global register by default", async ({ expect }) => {
    const pm = manager();
    using collector = collectMetrics(pm);
    await pm.start(idle('global'));
    expect(collector.registry).toBe(register);
    expect(valueOf(parseExposition(await register.metrics()), 'procvisor_up', { name: 'global' })).toBe(1);
  });
});
