/**
 * `pm.reload()`: replace the processes of an entry without a moment in which none serves, one
 * member (or a batch of members) at a time, with Kubernetes' rolling-update knobs:
 *
 * - `maxSurge` ≥ 1 (default 1): for each member, a *surge* copy of it is started first (named
 *   `<member>#surge`, with the same spec, sockets included) and must get ready; then the member
 *   itself is restarted (stopped by its ladder, started again, ready again); then the surge goes.
 *   Capacity never drops below the member count. A surge that does not get ready is removed, the
 *   member is left as it was (still serving: the rollback), a `reload-failed` event says why and the
 *   reload rejects with the start's error; members not reached yet are untouched.
 * - `maxSurge: 0` with `maxUnavailable` ≥ 1: members are restarted in place, that many at a time
 *   (plain rolling restart; some capacity is missing while each batch restarts).
 *
 * Without shared listening sockets (`sockets`) a server on a fixed port cannot run twice: its surge
 * fails to listen and the reload rolls back at once. With them, old and new accept on the same
 * socket and no connection is refused.
 */
import { InvalidStateError } from '../api/errors.js';
import type { ResolvedProcessSpec } from '../spec/resolved.js';
import { SURGE_SUFFIX } from '../sockets/registry.js';

/** What the reload drives, given by the manager. */
export interface ReloadHost {
  /** The processes to reload, in order (one for a process; the replicas of an instance group). */
  members(name: string): readonly ReloadMember[];
  /** Registers and starts a surge copy of a member; resolves once it is ready. */
  startSurge(spec: ResolvedProcessSpec): Promise<SurgeHandle>;
  /** A member runs its new incarnation (`reload` event). */
  reloaded(member: string, pid: number | undefined, surge: boolean): void;
  /** A member's reload failed (`reload-failed` event); `rolledBack` when its old incarnation still runs. */
  failed(member: string, error: Error, rolledBack: boolean): void;
}

/** One process of the entry being reloaded. */
export interface ReloadMember {
  readonly name: string;
  readonly spec: ResolvedProcessSpec;
  /** Stops it by its ladder and starts it again; resolves once it is ready (`restart()`). */
  restart(): Promise<{ pid: number | undefined }>;
}

/** A running surge, removed once its member is back. */
export interface SurgeHandle {
  remove(): Promise<void>;
}

/** Resolved options of a reload. */
export interface ReloadPlan {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** The spec of a surge: the member's, renamed, never restarted, without schedule or recovery. */
export function surgeSpec(spec: ResolvedProcessSpec): ResolvedProcessSpec {
  return Object.freeze({ ...spec, name: `${spec.name}${SURGE_SUFFIX}`, restart: 'never', schedule: undefined, recover: undefined, watch: undefined, significant: false });
}

/** Reloads every member of `name`; rejects with the first failure (see the file comment). */
export async function reload(host: ReloadHost, name: string, plan: ReloadPlan): Promise<void> {
  const members = host.members(name);
  if (members.length === 0) throw new InvalidStateError(`\`${name}\` has no process to reload`);
  const batch = Math.max(1, plan.maxSurge > 0 ? plan.maxSurge : plan.maxUnavailable);
  for (let i = 0; i < members.length; i += batch) {
    const slice = members.slice(i, i + batch);
    const results = await Promise.allSettled(slice.map((member) => (plan.maxSurge > 0 ? withSurge(host, member) : inPlace(host, member))));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

async function withSurge(host: ReloadHost, member: ReloadMember): Promise<void> {
  let surge: SurgeHandle;
  try {
    surge = await host.startSurge(surgeSpec(member.spec));
  } catch (error) {
    host.failed(member.name, error as Error, true);
    throw error;
  }
  let pid: number | undefined;
  try {
    ({ pid } = await member.restart());
  } catch (error) {
    await surge.remove();
    host.failed(member.name, error as Error, false);
    throw error;
  }
  await surge.remove();
  host.reloaded(member.name, pid, true);
}

async function inPlace(host: ReloadHost, member: ReloadMember): Promise<void> {
  try {
    const { pid } = await member.restart();
    host.reloaded(member.name, pid, false);
  } catch (error) {
    host.failed(member.name, error as Error, false);
    throw error;
  }
}
