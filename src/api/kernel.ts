/**
 * Kernel-enforced limits of a process: POSIX resource limits (`setrlimit`), and cgroup v2 limits
 * where the host has a delegated cgroup.
 */
import type { Duration, Size } from './types.js';

/**
 * Resource limits the kernel enforces on the child and everything it starts (inherited across
 * `fork` and `exec`), applied before its program runs and visible in `/proc/<pid>/limits`. Each is
 * a hard and soft limit at once.
 */
export interface RlimitsSpec {
  /** Address space (`RLIMIT_AS`): allocations beyond it fail. */
  memory?: Size;
  /** Open file descriptors (`RLIMIT_NOFILE`). */
  openFiles?: number;
  /** Processes (threads) of the child's user (`RLIMIT_NPROC`). */
  processes?: number;
  /** CPU time (`RLIMIT_CPU`), rounded up to whole seconds: past it the kernel sends SIGXCPU, then SIGKILL. */
  cpuTime?: Duration;
  /** Largest core dump (`RLIMIT_CORE`); `0` turns core dumps off. */
  coreSize?: Size;
}

/** cgroup v2 limits of the child's own cgroup (where the host has a delegated, writable cgroup). */
export interface CgroupSpec {
  /** `memory.max`: the tree is OOM-killed past it. */
  memory?: Size;
  /** `cpu.max` as a % of one core (150 = one and a half cores). */
  cpu?: number;
  /** `pids.max`: most processes (and threads) in the tree. */
  pids?: number;
}
