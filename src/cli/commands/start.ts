/**
 * `procvisor start [file]`: supervises what a config declares until it is told to stop.
 *
 * The config is validated in full before anything starts. Processes start one after the other in
 * config order (each `start` waits for readiness, so a process can depend on the ones above it).
 * Then it runs: crashed processes are restarted by the manager (`restart: 'permanent'` by default).
 * The first SIGINT or SIGTERM shuts everything down gracefully (reverse start order) and the
 * command exits 0 when every process stopped within its shutdown timeout, else 1; a second signal
 * SIGKILLs every process tree at once and the command exits 128 + that signal's number. When every
 * process has ended for good by itself, the command exits too: 0 when all ended normally.
 */
import { resolve } from 'node:path';
import { ProcessManager } from '../../manager.js';
import type { Snapshot } from '../../api/types.js';
import { EXIT, signalExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import type { SettingFlags } from '../config/merge.js';
import type { PreparedConfig } from '../config/prepare.js';
import { onTermination } from '../signals.js';
import { colorEnabled, colors } from '../ui/colors.js';
import { createDisplay, type Display } from '../ui/display.js';
import { LogDir } from '../ui/log-dir.js';
import { displayPath, prepareOrReport } from './check.js';

/** Options of `start`: the settings flags, and `--no-color`. */
export interface StartOptions extends SettingFlags {
  color?: boolean;
}

/** After a second signal, how long the kill may take before the command exits regardless (its exit hook SIGKILLs what is left). */
const KILL_GRACE_MS = 5000;

/** Runs `start`; resolves with the exit code once everything has stopped. */
export async function startCommand(file: string | undefined, options: StartOptions, io: CommandIo): Promise<number> {
  const color = colorEnabled(options.color, io.stdout, io.env);
  const prepared = await prepareOrReport({ file, cwd: io.cwd, env: io.env, flags: options }, io, { outcome: 'nothing was started', red: colors(color).red, paintCount: false });
  if (typeof prepared === 'number') return prepared;
  return supervise(prepared, color, io);
}

/** A top-level entry that will not run again by itself. */
function endedForGood(row: Snapshot, final: ReadonlyMap<string, boolean>): boolean {
  return row.state === 'failed' || row.state === 'stopped' || row.state === 'idle' || (row.state === 'exited' && final.get(row.name) === true);
}

async function supervise(prepared: PreparedConfig, color: boolean, io: CommandIo): Promise<number> {
  const { validated, settings } = prepared;
  let logs: LogDir | undefined;
  try {
    if (settings.logDir !== undefined) {
      logs = new LogDir({ dir: resolve(io.cwd, settings.logDir), maxSize: settings.logMaxSize, files: settings.logFiles, onError: (m) => display.note(m) });
    }
  } catch (error) {
    io.stderr.write(`cannot use the log directory ${settings.logDir}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failure;
  }
  // A closed stdout (`procvisor start | head`) must not crash the command and orphan its work.
  io.stdout.on('error', () => {});
  const pm = new ProcessManager(validated.manager);
  const display: Display = createDisplay({ pm, stdout: io.stdout, color, live: io.stdout.isTTY === true, names: validated.processNames });
  logs?.attach(pm);

  const kill = new AbortController();
  let forced: NodeJS.Signals | undefined;
  let unclean = false;
  let endedCode: number | undefined;
  let shutdown: Promise<void> | undefined;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));

  const beginShutdown = (why: string): void => {
    if (shutdown) return;
    display.note(why);
    display.stopping();
    pm.on('kill', () => (unclean = true));
    pm.on('unstopped', () => (unclean = true));
    shutdown = pm.shutdown({ signal: kill.signal }).catch((error: unknown) => {
      unclean = true;
      display.note(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    stopRequested();
  };
  // Once killing, the command waits at most this long for the kill to be seen through.
  const killGrace = new Promise<void>((resolve) => kill.signal.addEventListener('abort', () => setTimeout(resolve, KILL_GRACE_MS).unref(), { once: true }));
  const removeSignals = onTermination({
    first: (signal) => beginShutdown(`${signal}: stopping every process (${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to kill them at once)`),
    again: (signal) => {
      if (forced) return;
      forced = signal;
      display.note(`${signal} again: killing every process tree now`);
      kill.abort();
    },
  });

  // Ends the command when nothing is left to supervise: every entry ended for good by itself.
  const final = new Map<string, boolean>();
  let started = false;
  pm.on('exit', (e) => final.set(e.name, !e.willRestart));
  pm.on('spawn', (e) => final.delete(e.name));
  const checkEnded = (): void => {
    setImmediate(() => {
      if (!started || shutdown) return;
      const tops = pm.list().filter((row) => row.depth === 0);
      if (!tops.every((row) => endedForGood(row, final))) return;
      endedCode = tops.every((row) => row.state === 'exited' && row.lastExit?.class === 'normal') ? EXIT.ok : EXIT.failure;
      beginShutdown(`every process has ended: nothing left to supervise`);
    });
  };
  for (const event of ['exit', 'give-up', 'start-failed', 'stop', 'supervisor:give-up', 'supervisor:auto-shutdown'] as const) pm.on(event, checkEnded);

  const failedStarts = new Set<string>();
  pm.on('start-failed', (e) => failedStarts.add(e.name));
  for (const spec of validated.specs) {
    if (shutdown) break;
    try {
      await pm.start(spec);
    } catch (error) {
      if (shutdown) break;
      // A failed start has had its `start-failed` line; anything else gets one here.
      if (!failedStarts.has(spec.name)) display.note(`${spec.name} was not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  started = true;
  if (!shutdown) {
    const running = pm.list().filter((row) => row.kind === 'process' && row.state === 'running').length;
    display.note(`${displayPath(prepared.loaded.file, io.cwd)}: ${running} of ${validated.processNames.length} processes running`);
    checkEnded();
  }

  await stopped;
  await Promise.race([shutdown, killGrace]);
  removeSignals();
  display.close();
  await logs?.close();
  if (forced) return signalExitCode(forced);
  if (endedCode !== undefined) return unclean ? EXIT.failure : endedCode;
  return unclean ? EXIT.failure : EXIT.ok;
}
