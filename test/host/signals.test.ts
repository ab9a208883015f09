/**
 * The host-wide signal coordinator, end to end: a real host program (test/fixtures/host-signals.mjs)
 * runs TWO managers with `handleSignals: true`. One signal shuts both down gracefully and the host
 * exits once, with 128 + the signal number, after the slower of the two; a second signal SIGKILLs
 * every tree at once; a manager's own shutdown gives the listeners back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, NODE, until } from '../helpers.js';
import { killAll, living } from '../manager/support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Mode = 'graceful' | 'stubborn' | 'shutdown' | 'faulty';

/** One JSON line the host printed (see the fixture's header for the shapes). */
interface Line {
  phase?: string;
  host?: number;
  children?: number[];
  SIGINT?: number;
  SIGTERM?: number;
  event?: string;
  name?: string;
  pid?: number;
  line?: string;
  code?: number | null;
  signal?: string | null;
}

/** How the host ended, known once its stdio closed (so every line it printed was read). */
interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running host-signals.mjs, its parsed output lines, and waits on them. */
class Host {
  readonly process: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  readonly ended: Promise<Ended>;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(mode: Mode) {
    this.process = spawn(NODE, [fixture('host-signals.mjs'), mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.process.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as Line);
      } catch {
        this.lines.push({ line: text });
      }
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

  /** Resolves with the first line passing `accept`; rejects after `timeout` ms or if the host ends first. */
  waitFor(accept: (line: Line) => boolean, what: string, timeout = 10_000): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(accept);
        if (!found && !this.closed) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        if (found) resolve(found);
        else reject(new Error(`host ended before printing ${what}; stdout:\n${this.dump()}\nstderr:\n${this.stderr}`));
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no ${what} within ${timeout} ms; stdout:\n${this.dump()}\nstderr:\n${this.stderr}`));
      }, timeout);
      this.listeners.add(check);
      check();
    });
  }

  /** The report line: both children ready. */
  report(): Promise<Line> {
    return this.waitFor((l) => l.host !== undefined, 'the report line');
  }

  /** How the host ended; rejects after `timeout` ms. */
  exit(timeout = 10_000): Promise<Ended> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`host still running after ${timeout} ms; stdout:\n${this.dump()}`)), timeout);
    });
    return Promise.race([this.ended, late]).finally(() => clearTimeout(timer));
  }

  /** The `stop` events it printed, by child name. */
  stops(): Record<string, { code: number | null | undefined; signal: string | null | undefined }> {
    return Object.fromEntries(this.lines.filter((l) => l.event === 'stop').map((l) => [l.name, { code: l.code, signal: l.signal }]));
  }

  /** Names of the children that printed `text`. */
  said(text: string): string[] {
    return this.lines.filter((l) => l.event === 'output' && l.line === text).map((l) => l.name ?? '?').sort();
  }

  /** Every child PID the host mentioned. */
  childPids(): number[] {
    const pids = this.lines.flatMap((l) => [...(l.children ?? []), ...(l.pid === undefined ? [] : [l.pid])]);
    return [...new Set(pids)];
  }

  /** SIGKILLs the host and whatever child it mentioned (and their groups). */
  cleanup(): void {
    killAll([this.process.pid, ...this.childPids()]);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private dump(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}

describe.runIf(process.platform !== 'win32')('host signals: one coordinator for every manager', () => {
  const hosts: Host[] = [];
  const start = (mode: Mode): Host => {
    const host = new Host(mode);
    hosts.push(host);
    return host;
  };
  afterEach(async () => {
    const all = hosts.splice(0);
    for (const host of all) host.cleanup();
    await Promise.all(all.map((host) => host.ended));
  });

  /** After the host ended, none of its children may be left (orphans: 'keep': only shutdown stops them). */
  async function expectNoSurvivor(host: Host): Promise<void> {
    const pids = host.childPids();
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await until(() => living(pids).length === 0, 2000, `children ${JSON.stringify(living(pids))} to be gone`);
  }

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: both managers finish their graceful stop, then the host exits %i', async (signal, code) => {
    const host = start('graceful');
    const report = await host.report();

    host.process.kill(signal);
    const ended = await host.exit();

    expect(ended).toEqual({ code, signal: null });
    // `b` flushes for 600 ms, twice as long as `a`: the host waited for it all the same.
    expect(host.said('flushed')).toEqual(['a', 'b']);
    expect(host.stops()).toEqual({ a: { code: 0, signal: null }, b: { code: 0, signal: null } });
    await expectNoSurvivor(host);
    // Two managers, one coordinator: one listener per signal.
    const baseline = host.lines[0]!;
    expect(report).toMatchObject({ SIGINT: baseline.SIGINT! + 1, SIGTERM: baseline.SIGTERM! + 1 });
  });

  it('after every manager shut down, the SIGINT/SIGTERM listeners are back to the baseline', async () => {
    const host = start('shutdown');
    const ended = await host.exit();
    expect(ended).toEqual({ code: 0, signal: null });

    const counts = (l: Line | undefined) => ({ SIGINT: l?.SIGINT, SIGTERM: l?.SIGTERM });
    const baseline = counts(host.lines.find((l) => l.phase === 'baseline'));
    const more = { SIGINT: baseline.SIGINT! + 1, SIGTERM: baseline.SIGTERM! + 1 };
    expect(counts(host.lines.find((l) => l.host !== undefined))).toEqual(more);
    // One manager still subscribed: the listeners stay.
    expect(counts(host.lines.find((l) => l.phase === 'a down'))).toEqual(more);
    expect(counts(host.lines.find((l) => l.phase === 'all down'))).toEqual(baseline);
    expect(host.said('flushed')).toEqual(['a', 'b']);
    await expectNoSurvivor(host);
  });

  it.each([
    ['SIGTERM', 'SIGTERM'],
    ['SIGTERM', 'SIGINT'],
  ] as const)('a second signal during the shutdown (%s, then %s) SIGKILLs every tree at once; the host exits 143', async (first, second) => {
    const host = start('stubborn');
    await host.report();

    host.process.kill(first);
    // Both children ignore the SIGTERM of their 60 s shutdown: the stop is under way and stuck.
    await host.waitFor((l) => l.name === 'a' && l.line === 'got SIGTERM', '`a` got SIGTERM');
    await host.waitFor((l) => l.name === 'b' && l.line === 'got SIGTERM', '`b` got SIGTERM');
    expect(host.process.exitCode).toBeNull();

    const from = performance.now();
    host.process.kill(second);
    const ended = await host.exit();

    expect(performance.now() - from).toBeLessThan(3000);
    expect(ended).toEqual({ code: 143, signal: null });
    expect(host.stops()).toEqual({ a: { code: null, signal: 'SIGKILL' }, b: { code: null, signal: 'SIGKILL' } });
    await expectNoSurvivor(host);
  });

  it("a subscriber whose shutdown rejects and whose kill throws holds back neither the exit nor the others' kill", async () => {
    const host = start('faulty');
    await host.report();

    host.process.kill('SIGTERM');
    await host.waitFor((l) => l.name === 'a' && l.line === 'got SIGTERM', '`a` got SIGTERM');
    await host.waitFor((l) => l.name === 'b' && l.line === 'got SIGTERM', '`b` got SIGTERM');
    // The rejected shutdown neither crashed the host nor made it exit before the managers were done.
    expect(host.process.exitCode).toBeNull();

    host.process.kill('SIGTERM');
    const ended = await host.exit();

    expect(ended).toEqual({ code: 143, signal: null });
    // The faulty subscriber subscribed first, so its kill threw before the managers' kills ran.
    expect(host.lines).toContainEqual({ event: 'faulty-kill' });
    expect(host.lines.findIndex((l) => l.event === 'faulty-kill')).toBeLessThan(host.lines.findIndex((l) => l.event === 'stop'));
    expect(host.stops()).toEqual({ a: { code: null, signal: 'SIGKILL' }, b: { code: null, signal: 'SIGKILL' } });
    expect(host.stderr).toContain('shutdown failed on purpose');
    expect(host.stderr).toContain('kill failed on purpose');
    await expectNoSurvivor(host);
  });
});
