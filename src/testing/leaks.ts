/**
 * `assertNoLeaks()`: every process started through `procvisor/testing` in this test process, and
 * everything they started, must be gone.
 */
import { execFileSync } from 'node:child_process';
import { FixtureLeakError, type LeakedProcess } from '../api/errors.js';
import { findByCookie, sweepsSettled } from '../os/cookie.js';
import { HAS_PROC, isAlive, readProcText } from '../os/proc.js';
import { readProcessTree, signalTree, type ProcessId } from '../os/tree.js';
import { forks, live, stopping } from './fixture.js';

/** The command line of `pid` as the OS shows it, shortened; empty when unreadable. */
function commandLine(pid: number): string {
  let text: string | undefined;
  if (HAS_PROC) {
    text = readProcText(`/proc/${pid}/cmdline`)?.split('\0').filter(Boolean).join(' ');
  } else if (process.platform !== 'win32') {
    try {
      text = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      text = undefined;
    }
  }
  const line = text ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** The processes of this test process's fixtures still alive, each attributed to its fixture. */
function findLeaks(): { leaks: LeakedProcess[]; ids: ProcessId[] } {
  const leaks: LeakedProcess[] = [];
  const ids: ProcessId[] = [];
  const seen = new Set<number>([process.pid]);
  const add = (fixture: string, id: ProcessId, kind: LeakedProcess['kind']): void => {
    if (seen.has(id.pid)) return;
    seen.add(id.pid);
    ids.push(id);
    leaks.push({ fixture, pid: id.pid, command: commandLine(id.pid), kind });
  };
  const byFixture = new Map<string, typeof forks>();
  for (const record of forks) {
    const list = byFixture.get(record.fixture) ?? [];
    list.push(record);
    byFixture.set(record.fixture, list);
  }
  for (const [fixture, records] of byFixture) {
    const name = fixture === '' ? '(starting)' : fixture;
    for (const record of records) {
      if (!isAlive(record.pid, record.starttime)) continue;
      add(name, { pid: record.pid, starttime: record.starttime }, 'fixture');
      for (const id of readProcessTree(record.pid, record.starttime)) add(name, id, 'descendant');
    }
    // Descendants that left the tree (a double fork, setsid) still carry their fixture's cookie.
    const cookies = records.flatMap((r) => (r.cookie === undefined ? [] : [r.cookie]));
    if (cookies.length > 0) for (const id of findByCookie(cookies)) add(name, id, 'descendant');
  }
  return { leaks, ids };
}

function describeLeak(leak: LeakedProcess): string {
  const what = leak.kind === 'fixture' ? `fixture \`${leak.fixture}\`` : `a descendant of fixture \`${leak.fixture}\``;
  return `  - ${what}, pid ${leak.pid}${leak.command ? `: ${leak.command}` : ''}`;
}

/**
 * Resolves when no process started through `procvisor/testing` in this test process is alive —
 * fixtures and every descendant, also those that left their process group or lost their parent
 * link (found by their tree cookie, on Linux). Stops and cleanup sweeps under way are waited for
 * first. Otherwise it kills what it found (so one leak does not spoil the next test) and throws a
 * `FixtureLeakError` naming each process: its fixture, pid and command line. Call it after your
 * fixtures are stopped (in `afterAll`, or once every test file has run); a fixture still running
 * counts as a leak.
 * @throws FixtureLeakError
 */
export async function assertNoLeaks(): Promise<void> {
  await Promise.allSettled([...stopping]);
  await sweepsSettled();
  const { leaks, ids } = findLeaks();
  if (leaks.length === 0) return;
  signalTree(ids, 'SIGKILL', { groups: true });
  const running = [...new Set(leaks.filter((l) => l.kind === 'fixture').map((l) => l.fixture))];
  // Killed: unregister them and free their ports too.
  await Promise.allSettled([...live].map((f) => f.stop()));
  const hint =
    running.length > 0
      ? `\nStill running (never stopped): ${running.map((n) => `\`${n}\``).join(', ')} — stop each (\`await fixture.stop()\`, \`await using\`), or start it with useFixture(), which stops it after the tests.`
      : '\nThese outlived their fixture: a process that scrubs its environment and leaves its group escapes the stop; have the fixture stop what it starts.';
  const count = leaks.length === 1 ? '1 process' : `${leaks.length} processes`;
  throw new FixtureLeakError(leaks, `${count} started through procvisor/testing ${leaks.length === 1 ? 'is' : 'are'} still alive (now killed):\n${leaks.map(describeLeak).join('\n')}${hint}`);
}
