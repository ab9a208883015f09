/**
 * Occurrences of a `schedule.restart` cron expression, computed by croner (seconds-granular 6-field
 * expressions, no dependencies). Croner is used only to compute dates, never to run timers: the
 * supervisor arms its own timer on the manager's clock for each occurrence, so tests drive
 * schedules with a fake clock like every other delay.
 */
import { parseCron, type Cron } from '../util/cron.js';

/** Croner's evaluators by expression: an expression is parsed once (they hold no timer). */
const parsed = new Map<string, Cron>();

/**
 * The first occurrence of `expression` strictly after `now` (ms since epoch), in ms since epoch;
 * undefined when it has none left. The expression must have been validated (spec/resolve-common.ts).
 */
export function nextOccurrence(expression: string, now: number): number | undefined {
  let cron = parsed.get(expression);
  if (cron === undefined) parsed.set(expression, (cron = parseCron(expression)));
  return cron.nextRun(new Date(now))?.getTime();
}
