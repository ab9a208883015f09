/**
 * croner, loaded on first use: most managers never see a `schedule`, and importing croner is a
 * measurable part of procvisor's cold import. Loaded synchronously (its CommonJS build), since a
 * schedule is validated while a spec is resolved, which is synchronous.
 */
import type { Cron as CronClass } from 'croner';
import { nodeModule } from './builtins.js';

export type Cron = CronClass;

let loaded: typeof CronClass | undefined;

/** A croner evaluator of `expression` (it holds no timer: procvisor only asks it for dates). */
export function parseCron(expression: string): Cron {
  loaded ??= (nodeModule().createRequire(import.meta.url)('croner') as { Cron: typeof CronClass }).Cron;
  return new loaded(expression);
}
