import { describe, expect, it } from 'vitest';
import { HealthAggregator, type HealthChange, type HealthSource } from '../../src/health/aggregate.js';
import type { HealthStatus, ProbeResult } from '../../src/api/types.js';

/** Best to worst. */
const ORDER: readonly HealthStatus[] = ['unknown', 'healthy', 'warning', 'critical', 'failed'];

/** One report and what it must give: the overall status after it and the change (`—` for none). */
type Step = readonly [source: HealthSource, status: HealthStatus, overall: HealthStatus, change: string];

/** A change written as in the bug report: `healthy→warning (liveness)`. */
const show = (change: HealthChange | undefined): string =>
  change ? `${change.previous}→${change.status} (${change.source})` : '—';

const sequences: readonly (readonly [string, readonly Step[]])[] = [
  [
    'the defect: a passing limits check does not hide a failing liveness probe',
    [
      ['liveness', 'healthy', 'healthy', 'unknown→healthy (liveness)'],
      ['liveness', 'warning', 'warning', 'healthy→warning (liveness)'],
      ['limits', 'healthy', 'warning', '—'],
      ['limits', 'healthy', 'warning', '—'],
    ],
  ],
  [
    'liveness recovering while limits say warning leaves warning',
    [
      ['limits', 'healthy', 'healthy', 'unknown→healthy (limits)'],
      ['liveness', 'warning', 'warning', 'healthy→warning (liveness)'],
      ['limits', 'warning', 'warning', '—'],
      ['liveness', 'healthy', 'warning', '—'],
      ['limits', 'healthy', 'healthy', 'warning→healthy (limits)'],
    ],
  ],
  [
    'the overall status follows the worst source up and down',
    [
      ['readiness', 'healthy', 'healthy', 'unknown→healthy (readiness)'],
      ['liveness', 'warning', 'warning', 'healthy→warning (liveness)'],
      ['limits', 'critical', 'critical', 'warning→critical (limits)'],
      ['liveness', 'critical', 'critical', '—'],
      ['limits', 'healthy', 'critical', '—'],
      ['liveness', 'warning', 'warning', 'critical→warning (liveness)'],
      ['liveness', 'healthy', 'healthy', 'warning→healthy (liveness)'],
    ],
  ],
  [
    'failed wins over every other verdict',
    [
      ['liveness', 'healthy', 'healthy', 'unknown→healthy (liveness)'],
      ['limits', 'critical', 'critical', 'healthy→critical (limits)'],
      ['heartbeat', 'failed', 'failed', 'critical→failed (heartbeat)'],
      ['limits', 'healthy', 'failed', '—'],
      ['liveness', 'warning', 'failed', '—'],
    ],
  ],
  [
    'unknown from one source does not mask another source',
    [
      ['liveness', 'warning', 'warning', 'unknown→warning (liveness)'],
      ['readiness', 'unknown', 'warning', '—'],
      ['heartbeat', 'unknown', 'warning', '—'],
      ['limits', 'healthy', 'warning', '—'],
    ],
  ],
  [
    'unknown withdraws a source; overall is unknown once no source has a verdict',
    [
      ['limits', 'warning', 'warning', 'unknown→warning (limits)'],
      ['liveness', 'healthy', 'warning', '—'],
      ['limits', 'unknown', 'healthy', 'warning→healthy (limits)'],
      ['liveness', 'unknown', 'unknown', 'healthy→unknown (liveness)'],
    ],
  ],
  [
    'nothing but unknown never changes anything',
    [
      ['readiness', 'unknown', 'unknown', '—'],
      ['liveness', 'unknown', 'unknown', '—'],
      ['heartbeat', 'unknown', 'unknown', '—'],
      ['limits', 'unknown', 'unknown', '—'],
    ],
  ],
  [
    'a repeated verdict is no change',
    [
      ['heartbeat', 'healthy', 'healthy', 'unknown→healthy (heartbeat)'],
      ['heartbeat', 'healthy', 'healthy', '—'],
      ['readiness', 'healthy', 'healthy', '—'],
    ],
  ],
];

describe('HealthAggregator', () => {
  it('starts unknown', () => {
    expect(new HealthAggregator().status).toBe('unknown');
  });

  it.each(sequences)('%s', (_what, steps) => {
    const health = new HealthAggregator();
    const seen = steps.map(([source, status]) => {
      const change = health.report(source, status);
      return [source, status, health.status, show(change)] as const;
    });
    expect(seen).toEqual(steps);
  });

  const pairs = ORDER.flatMap((better, i) => ORDER.slice(i + 1).map((worse) => [better, worse] as const));

  it.each(pairs)('ranks %s below %s, whichever source reports first', (better, worse) => {
    for (const [first, second] of [
      [better, worse],
      [worse, better],
    ] as const) {
      const health = new HealthAggregator();
      health.report('liveness', first);
      health.report('limits', second);
      expect(health.status).toBe(worse);
    }
  });

  it('names the source that caused the change and passes its result on', () => {
    const health = new HealthAggregator();
    const result: ProbeResult = { ok: false, message: 'HTTP 503' };
    health.report('limits', 'healthy');
    expect(health.report('liveness', 'warning', result)).toEqual({ status: 'warning', previous: 'healthy', source: 'liveness', result });
  });

  it('leaves `result` out of a change when the report had none', () => {
    const health = new HealthAggregator();
    const change = health.report('limits', 'warning');
    expect(change).toEqual({ status: 'warning', previous: 'unknown', source: 'limits' });
    expect(change && 'result' in change).toBe(false);
  });

  it('keeps separate aggregators apart', () => {
    const a = new HealthAggregator();
    const b = new HealthAggregator();
    a.report('liveness', 'failed');
    expect(b.status).toBe('unknown');
    expect(show(b.report('liveness', 'healthy'))).toBe('unknown→healthy (liveness)');
  });
});
