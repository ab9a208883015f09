/**
 * Kernel-enforced limits of a process: POSIX resource limits (`setrlimit`), and cgroup v2 limits
 * where the host has a delegated cgroup.
 */
import type { Duration, Size } from './types.js';

/**
 * Resource limits the kernel enforces on the child and everything it starts (inherited across
 * `fork` and `exec`), applied before its program runs and visible in `/proc/<pid>/limits`. Each is
 * a hard and soft limit at once. Applied by a `/bin/sh` prelude that then `exec`s the program (same
 * pid, same argv); not available on Windows (the start fails with a SpawnFailedError there).
 */
export interface RlimitsSpec {
  /** Address space (`RLIMIT_AS`), rounded down to whole KiB: allocations beyond it fail. */
  memory?: Size;
  /** Open file descriptors (`RLIMIT_NOFILE`). */
  openFiles?: number;
  /** Processes (threads) of the child's user (`RLIMIT_NPROC`). */
  processes?: number;
  /** CPU time (`RLIMIT_CPU`), rounded up to whole seconds: past it the kernel SIGKILLs the process (soft = hard). */
  cpuTime?: Duration;
  /** Largest core dump (`RLIMIT_CORE`), rounded down to 512-byte blocks; `0` turns core dumps off. */
  coreSize?: Size;
}

/**
 * cgroup v2 limits of the child's own cgroup (where the host has a delegated, writable cgroup; see
 * https://github.com/procvisor/procvisor/blob/main/docs/resources.md#cgroup-cgroup-v2).
 * A spec with `cgroup` (even `{}`) joins its cgroup before its program runs. Where they cannot be
 * applied, a `warning` event says so once per process and it runs without.
 */
export interface CgroupSpec {
  /** `memory.max`: the tree is OOM-killed past it. */
  memory?: Size;
  /** `cpu.max` as a % of one core (150 = one and a half cores). */
  cpu?: number;
  /** `pids.max`: most processes (and threads) in the tree. */
  pids?: number;
}
