/**
 * cgroup v2: one cgroup per process tree, where the host runs in a delegated, writable cgroup.
 *
 * Detected once per host ({@link cgroupHost}): the cgroup2 mount (`/sys/fs/cgroup` on a unified
 * system, `/sys/fs/cgroup/unified` on a hybrid one) from `/proc/self/mountinfo`, the host's own
 * cgroup from the `0::/path` line of `/proc/self/cgroup`, write access to its `cgroup.procs`, and
 * one probe cgroup created and removed. Anything missing (cgroup v1 only, macOS, Windows, no
 * delegation, read-only): `undefined`, and procvisor runs as without cgroups.
 *
 * Layout, under the host's cgroup H:
 *
 *     H/                          the delegated cgroup; its subtree_control enables memory cpu pids
 *     ├── procvisor-host/         the host itself, moved here only to enable controllers (below)
 *     └── procvisor-<pid>.<start>-<n>-<name>/   one per incarnation: its whole tree, its limits
 *
 * The "no internal processes" rule: a cgroup (other than the root) that holds processes cannot
 * enable controllers for its children. Controllers are enabled only when a spec asks for limits
 * ({@link enableControllers}); if H still holds processes then, and the host is the only one, the
 * host moves itself into the leaf `procvisor-host` first (systemd's advice for delegated
 * cgroups); if others share H (a shell, npm) procvisor does not move what is not its own, and
 * trees get cgroups without limits. Placement and `cgroup.kill` need no controller.
 *
 * The name of an incarnation's cgroup carries its host's pid and start time: a host that finds an
 * empty cgroup of a host that is gone (SIGKILLed before it could remove it) removes it
 * ({@link removeStale}).
 */
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { fs } from '../util/builtins.js';
import { isAlive, readStat } from './proc.js';

/** The controllers procvisor's limits use. */
const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
type Controller = (typeof CONTROLLERS)[number];

/** Period of `cpu.max`, in µs (the kernel's default). */
export const CPU_PERIOD_US = 100_000;

/** The smallest quota the kernel accepts in `cpu.max`, in µs. */
const CPU_MIN_QUOTA_US = 1000;

/** The host's delegated cgroup. */
export interface CgroupHost {
  /** The directory of the host's cgroup H, where tree cgroups are created. */
  readonly dir: string;
  /** The controllers enabled for H's children (its `cgroup.subtree_control`). */
  enabled: Set<string>;
  /** Set once controllers were asked for: the outcome is not tried again. */
  tried: boolean;
  /** Prefix of this host's cgroup names: `procvisor-<pid>.<start>-`. */
  readonly prefix: string;
}

/** What detection reads, injectable for tests. */
export interface CgroupSystem {
  readonly mountinfo: string;
  /** `/proc/self/cgroup`. */
  readonly selfCgroup: string;
  readonly pid: number;
  readonly starttime: number | undefined;
}

function readOr(path: string): string {
  try {
    return fs().readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The mount point of the cgroup2 filesystem whose root is `/`, or `undefined`. Prefers `/sys/fs/cgroup`. */
export function cgroup2Mount(mountinfo: string): string | undefined {
  const found: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined || !after.startsWith('cgroup2 ')) continue;
    const fields = before.split(' ');
    // fields[3] is the root of the mount within the filesystem, fields[4] the mount point.
    if (fields[3] !== '/' || fields[4] === undefined) continue;
    found.push(unescapeMount(fields[4]));
  }
  return found.find((m) => m === '/sys/fs/cgroup') ?? found[0];
}

/** mountinfo escapes spaces, tabs, newlines and backslashes as octal. */
function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The host's cgroup v2 path (`0::/path`), or `undefined` (none, or deleted). */
export function ownCgroupPath(selfCgroup: string): string | undefined {
  for (const line of selfCgroup.split('\n')) {
    if (!line.startsWith('0::')) continue;
    const path = line.slice(3);
    return path.startsWith('/') && !path.endsWith(' (deleted)') ? path : undefined;
  }
  return undefined;
}

/** The controllers listed in a `cgroup.controllers` or `cgroup.subtree_control` file. */
function listed(path: string): Set<string> {
  return new Set(readOr(path).split(/\s+/).filter(Boolean));
}

/**
 * Detects the host's delegated cgroup: writable, and a child cgroup can be created in it. Returns
 * `undefined` when any of that fails. Removes stale cgroups of dead hosts on the way.
 */
export function detectCgroupHost(system: CgroupSystem, mountOverride?: string): CgroupHost | undefined {
  const mount = mountOverride ?? cgroup2Mount(system.mountinfo);
  const path = ownCgroupPath(system.selfCgroup);
  if (mount === undefined || path === undefined) return undefined;
  const dir = join(mount, path);
  const { accessSync, constants } = fs();
  try {
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    accessSync(dir, constants.W_OK);
  } catch {
    return undefined;
  }
  const prefix = `procvisor-${system.pid}.${system.starttime ?? 0}-`;
  const probe = join(dir, `${prefix}probe`);
  try {
    fs().mkdirSync(probe);
    fs().rmdirSync(probe);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    try {
      fs().rmdirSync(probe);
    } catch {
      return undefined;
    }
  }
  removeStale(dir);
  return { dir, enabled: listed(join(dir, 'cgroup.subtree_control')), tried: false, prefix };
}

/**
 * Removes the cgroup `dir` and every cgroup below it, deepest first (a nested procvisor host in the
 * tree may have left its own trees' cgroups behind when it died). Throws as `rmdir` does.
 */
function rmdirTree(dir: string): void {
  let entries: Dirent[] = [];
  try {
    entries = fs().readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
  }
  for (const entry of entries) if (entry.isDirectory()) rmdirTree(join(dir, entry.name));
  fs().rmdirSync(dir);
}

/** Matches the name of an incarnation's cgroup: the host's pid and start time. */
const TREE_NAME = /^procvisor-(\d+)\.(\d+)-/;

/** Removes the (empty) cgroups in `dir` left by hosts that are gone. Never throws. */
export function removeStale(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs().readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = TREE_NAME.exec(name);
    if (!match) continue;
    const [pid, start] = [Number(match[1]), Number(match[2])];
    if (isAlive(pid, start === 0 ? undefined : start)) continue;
    try {
      rmdirTree(join(dir, name));
      removed.push(name);
    } catch {
      // populated (its processes are the reaper's business) or already gone
    }
  }
  return removed;
}

let detected: CgroupHost | null | undefined;

/** The host's delegated cgroup, detected on first use; `undefined` where there is none. */
export function cgroupHost(): CgroupHost | undefined {
  if (detected === undefined) {
    detected = null;
    if (process.platform === 'linux') {
      detected =
        detectCgroupHost({
          mountinfo: readOr('/proc/self/mountinfo'),
          selfCgroup: readOr('/proc/self/cgroup'),
          pid: process.pid,
          starttime: readStat(process.pid)?.starttime,
        }) ?? null;
    }
  }
  return detected ?? undefined;
}

/**
 * Enables `wanted` controllers for the children of H, once per host. If H holds processes and the
 * host is the only one, the host first moves into the leaf `procvisor-host` (the "no internal
 * processes" rule). Returns the controllers enabled now (possibly fewer than wanted).
 */
export function enableControllers(host: CgroupHost, pid: number = process.pid): Set<string> {
  if (host.tried) return host.enabled;
  host.tried = true;
  const available = listed(join(host.dir, 'cgroup.controllers'));
  const missing = CONTROLLERS.filter((c) => available.has(c) && !host.enabled.has(c));
  if (missing.length === 0) return host.enabled;
  const procs = readOr(join(host.dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  if (procs.length > 0 && procs.every((p) => p === pid)) {
    const leaf = join(host.dir, 'procvisor-host');
    try {
      fs().mkdirSync(leaf, { recursive: true });
      fs().writeFileSync(join(leaf, 'cgroup.procs'), String(pid));
    } catch {
      return host.enabled;
    }
  }
  for (const controller of missing) {
    try {
      fs().writeFileSync(join(host.dir, 'cgroup.subtree_control'), `+${controller}`);
    } catch {
      // H still holds processes, or the controller is not delegated: limits of it are not applied
    }
  }
  host.enabled = listed(join(host.dir, 'cgroup.subtree_control'));
  return host.enabled;
}

/** Limits of a tree's cgroup, resolved (bytes, % of one core, count). */
export interface CgroupLimits {
  readonly memory?: number | undefined;
  readonly cpu?: number | undefined;
  readonly pids?: number | undefined;
}

/** The files and values that carry `limits`. `cpu` is % of one core: quota = cpu% of the period. */
export function limitFiles(limits: CgroupLimits): { controller: Controller; file: string; value: string }[] {
  const files: { controller: Controller; file: string; value: string }[] = [];
  if (limits.memory !== undefined) {
    files.push({ controller: 'memory', file: 'memory.max', value: String(Math.floor(limits.memory)) });
    // Past memory.max the OOM killer takes the whole tree, not one member of it.
    files.push({ controller: 'memory', file: 'memory.oom.group', value: '1' });
  }
  if (limits.cpu !== undefined) {
    const quota = Math.max(CPU_MIN_QUOTA_US, Math.round((limits.cpu / 100) * CPU_PERIOD_US));
    files.push({ controller: 'cpu', file: 'cpu.max', value: `${quota} ${CPU_PERIOD_US}` });
  }
  if (limits.pids !== undefined) files.push({ controller: 'pids', file: 'pids.max', value: String(limits.pids) });
  return files;
}

/** cgroups of this host still to be killed by the exit hook (trees that must not outlive it). */
const live = new Set<TreeCgroup>();
let hooked = false;
/** Numbers this host's tree cgroups: unique across workers, whatever their names. */
let created = 0;

/** The cgroup of one process tree (one incarnation). */
export class TreeCgroup {
  private removed = false;

  private constructor(
    /** Its directory. */
    readonly dir: string,
    private readonly diesWithHost: boolean,
  ) {
    if (diesWithHost) {
      live.add(this);
      if (!hooked) {
        hooked = true;
        // Synchronous: the exit hook cannot wait. The trees' own kill (walks, cookies) runs too.
        process.on('exit', () => {
          for (const cgroup of live) cgroup.kill();
        });
      }
    }
  }

  /**
   * Creates the cgroup of a tree under `host`. `name` labels it (sanitised). Returns `undefined`
   * when it cannot be created. `diesWithHost`: the exit hook kills it (false for `orphans: 'keep'`).
   */
  static create(host: CgroupHost, name: string, diesWithHost: boolean): TreeCgroup | undefined {
    const label = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
    const dir = join(host.dir, `${host.prefix}${++created}-${label}`);
    try {
      fs().mkdirSync(dir);
    } catch {
      return undefined;
    }
    return new TreeCgroup(dir, diesWithHost);
  }

  /** Its `cgroup.procs`, for a prelude to join before `exec`. */
  get procsFile(): string {
    return join(this.dir, 'cgroup.procs');
  }

  /**
   * Writes `limits`; returns the fields that could not be applied (their controller is not enabled
   * for H's children, or the kernel refused the value).
   */
  applyLimits(limits: CgroupLimits): string[] {
    const failed = new Set<string>();
    for (const { controller, file, value } of limitFiles(limits)) {
      try {
        fs().writeFileSync(join(this.dir, file), value);
      } catch {
        if (file !== 'memory.oom.group') failed.add(controller);
      }
    }
    return [...failed];
  }

  /** Moves `pid` (with all its threads) into the cgroup. False when it could not. */
  join(pid: number): boolean {
    try {
      fs().writeFileSync(this.procsFile, String(pid));
      return true;
    } catch {
      return false;
    }
  }

  /** SIGKILLs every process in the cgroup at once (`cgroup.kill`, Linux 5.14+). False where unsupported. */
  kill(): boolean {
    if (this.removed) return false;
    try {
      fs().writeFileSync(join(this.dir, 'cgroup.kill'), '1');
      return true;
    } catch {
      return false;
    }
  }

  /** True once no process is left in the cgroup (its `populated` flag is 0), or it is gone. */
  empty(): boolean {
    const events = readOr(join(this.dir, 'cgroup.events'));
    return events === '' || /^populated 0$/m.test(events);
  }

  /** Tries to remove the cgroup now (it must be empty). True once it is gone. */
  tryRemove(): boolean {
    if (this.removed) return true;
    try {
      rmdirTree(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    this.removed = true;
    live.delete(this);
    return true;
  }

  /**
   * Removes the cgroup once it is empty: polls `/proc`-fast at first (1 ms, each wait 25% longer,
   * at most 50 ms), for at most `timeoutMs` of real time (the kernel empties it; a fake clock
   * cannot hurry that). Resolves true once removed, false when it was still populated.
   */
  async remove(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    let wait = 1;
    while (!this.tryRemove()) {
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 1.25, 50);
    }
    return true;
  }
}

/** For tests: forget the detected host so the next {@link cgroupHost} detects again. */
export function resetCgroupHostForTests(): void {
  detected = undefined;
}
