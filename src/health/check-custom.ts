/**
 * `custom` probe: the user's async function. Its verdict may be a boolean or a ProbeResult; a throw,
 * a rejection or any other value is a failed check, never a crash of the supervisor.
 */
import type { ProbeContext, ProbeResult } from '../api/types.js';
import type { ResolvedProbe } from '../spec/resolved.js';

type CustomProbe = Extract<ResolvedProbe, { readonly type: 'custom' }>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object without a boolean `ok`' : `${String(value)} (${typeof value})`;
}

/** Turns whatever the user's function gave into a ProbeResult (copied, so it cannot be mutated later). */
export function normalizeVerdict(value: unknown): ProbeResult {
  if (typeof value === 'boolean') return { ok: value };
  if (value !== null && typeof value === 'object' && typeof (value as { ok?: unknown }).ok === 'boolean') {
    const { ok, message, data } = value as ProbeResult;
    const result: ProbeResult = { ok };
    if (typeof message === 'string') result.message = message;
    if (data !== undefined) result.data = data;
    return result;
  }
  return { ok: false, message: `The custom check returned ${describe(value)}; expected a boolean or { ok: boolean }` };
}

/** Runs a custom check; `ctx.signal` is the check's own signal (aborted on timeout and at the end). */
export async function checkCustom(probe: CustomProbe, ctx: ProbeContext): Promise<ProbeResult> {
  try {
    // `await` also absorbs a function that is not async after all, and a synchronous throw.
    return normalizeVerdict(await probe.check(ctx));
  } catch (error) {
    return { ok: false, message: `The custom check threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}
