/**
 * Running the bundled command (test/.build/cli.mjs, built by test/global-setup.ts) as a user runs
 * it: a real process, its output read line by line, waits on lines and on its exit, signals sent
 * to it alone. Every command started here carries a mark of its own in its environment, inherited
 * by everything it spawns, so a test can prove that nothing it started outlived it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { markedProcesses, NODE, until } from '../helpers.js';
import { killAll } from '../manager/support.js';

/** The bundled command. */
export const CLI = fileURLToPath(new URL('../.build/cli.mjs', import.meta.url));

/** Absolute path of a file or directory under test/fixtures. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** The field paths of the problems in the `cli-bad` fixture config, in the order they are reported. */
export const CLI_BAD_PATHS = [
  'proceses',
  'manager.startTimeout',
  'processes[0].readiness.url',
  'processes[1].name',
  'processes[2].restart',
  'processes[3].command',
] as const;

const MARK = 'PROCVISOR_CLI_TEST';

/** How the command ended. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link Cli}. */
export interface CliOptions {
  cwd?: string;
  /** Added to (or, as `undefined`, removed from) the test's environment. */
  env?: Record<string, string | undefined>;
}

/** One run of the command. */
export class Cli {
  readonly process: ChildProcess;
  /** stdout, line by line. */
  readonly lines: string[] = [];
  stderr = '';
  readonly ended: Promise<Ended>;
  readonly mark = randomUUID();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(args: readonly string[], { cwd, env = {} }: CliOptions = {}) {
    // No colour whatever the test's environment says; `node` first on PATH (Procfiles call it).
    const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` };
    const merged: Record<string, string | undefined> = { ...base, ...env, [MARK]: this.mark };
    const clean = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
    this.process = spawn(NODE, [CLI, ...args], { cwd, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.notify();
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.notify();
    });
    this.ended = new Promise((resolve) => {
      this.process.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.closed = true;
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Everything printed so far, for failure messages. */
  dump(): string {
    return `stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`;
  }

  /** Resolves with the first stdout line matching `pattern` (its match); rejects after `timeout` ms or when the command ends first. */
  waitFor(pattern: RegExp, timeout = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        let found: RegExpExecArray | null = null;
        for (const line of this.lines) if ((found = pattern.exec(line))) break;
        if (!found && !this.closed) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        if (found) resolve(found);
        else reject(new Error(`the command ended before printing ${pattern}\n${this.dump()}`));
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeout} ms\n${this.dump()}`));
      }, timeout);
      this.listeners.add(check);
      check();
    });
  }

  /** How the command ended; rejects after `timeout` ms. */
  exit(timeout = 15_000): Promise<Ended> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the command still runs after ${timeout} ms\n${this.dump()}`)), timeout);
    });
    return Promise.race([this.ended, late]).finally(() => clearTimeout(timer));
  }

  /** Sends `signal` to the command alone (its children are in process groups of their own). */
  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  /** The pids of the `[procvisor] NAME spawned (pid N…` lines, by name. */
  spawned(name?: string): number[] {
    return this.lines.flatMap((line) => {
      const match = /^\[procvisor\] (\S+) spawned \(pid (\d+)/.exec(line);
      return match && (name === undefined || match[1] === name) ? [Number(match[2])] : [];
    });
  }

  /** Live processes started by this command (itself left out), waiting up to `timeout` ms for them to be gone. */
  async survivors(timeout = 2000): Promise<string[]> {
    const left = (): string[] => markedProcesses(MARK, this.mark).filter((p) => p.pid !== this.process.pid).map((p) => `${p.pid} ${p.cmd}`);
    try {
      await until(() => left().length === 0, timeout, 'processes to be gone');
    } catch {
      // reported by the caller's assertion
    }
    return left();
  }

  /** SIGKILLs the command and whatever it started: last-resort cleanup after a failure. */
  cleanup(): void {
    if (!this.closed) killAll([this.process.pid]);
    killAll(markedProcesses(MARK, this.mark).map((p) => p.pid));
  }
}
