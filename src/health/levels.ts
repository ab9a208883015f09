/**
 * Health levels from a probe's run of consecutive failures. Pure, so the thresholds are easy to test.
 *
 * With `failureThreshold` = T and `failures` = the current run of consecutive failed checks:
 * - `healthy`: no failure in the current run (and `successThreshold` passes since the last failure);
 * - `warning`: failing, `1 <= failures < T`, except the last step below when it is `critical`;
 * - `critical`: failing and one failure away from the threshold (`failures = T - 1`), only when
 *   `T >= 3`, so a single failure never jumps straight to `critical` (T = 2 gives `warning` first);
 * - `failed`: `failures >= T` — the incarnation is ended as `abnormal`. With T = 1 the first failure
 *   is already `failed`.
 */
import type { HealthStatus } from '../api/types.js';

/** The level for a run of `failures` consecutive failures against `failureThreshold`. */
export function levelForFailures(failures: number, failureThreshold: number): HealthStatus {
  if (failures <= 0) return 'healthy';
  if (failures >= failureThreshold) return 'failed';
  if (failureThreshold >= 3 && failures === failureThreshold - 1) return 'critical';
  return 'warning';
}

const rank: Readonly<Record<HealthStatus, number>> = { unknown: -1, healthy: 0, warning: 1, critical: 2, failed: 3 };

/**
 * The overall status of several probes: the worst one. Probes not checked yet (`unknown`) are left
 * out, so the status is `unknown` only while no probe has a verdict.
 */
export function worstStatus(statuses: readonly HealthStatus[]): HealthStatus {
  let worst: HealthStatus = 'unknown';
  for (const status of statuses) if (rank[status] > rank[worst]) worst = status;
  return worst;
}
