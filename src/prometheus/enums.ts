/**
 * The closed set of job statuses, so that `jobs_total` starts at 0 for each (it has no `name`
 * label: four series in all).
 */
import type { JobResult } from '../api/types.js';

/** `values`, checked by the compiler to hold every member of `T`. */
const every =
  <T extends string>() =>
  <const A extends readonly T[]>(values: A & ([Exclude<T, A[number]>] extends [never] ? unknown : never)): readonly T[] =>
    values;

export const JOB_STATUSES = every<JobResult['status']>()(['succeeded', 'failed', 'timed-out', 'cancelled']);
