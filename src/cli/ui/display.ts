/**
 * What `procvisor start` shows. On a terminal: the processes' prefixed output lines and one line
 * per lifecycle event scroll above the live status table. Elsewhere (a pipe, a file, a CI log):
 * the same lines, plain, and no table.
 */
import type { EventName } from '../../api/events.js';
import type { ProcessManager } from '../../manager.js';
import { colors } from './colors.js';
import { attachLifecycle, TAG } from './events.js';
import { LiveDisplay } from './live.js';
import { renderStatusFooter, renderStatusTable, type Phase } from './status.js';

/** Options of {@link createDisplay}. */
export interface DisplayOptions {
  readonly pm: ProcessManager;
  readonly stdout: NodeJS.WriteStream;
  /** Colour or not (decided once for the command). */
  readonly color: boolean;
  /** Show the live table (stdout is a terminal). */
  readonly live: boolean;
  /** The processes whose output is shown, known up front so that prefixes align from the start. */
  readonly names: readonly string[];
}

/** The display of one `start`. */
export interface Display {
  /** Writes a line of the command's own, tagged `[procvisor]`. */
  note(text: string): void;
  /** The shutdown began: the table's footer says so. */
  stopping(): void;
  /** Writes what is pending, leaves the table on screen, and stops listening to the manager. */
  close(): void;
}

/** Events after which the table is redrawn. */
const REDRAW_ON: readonly EventName[] = ['spawn', 'ready', 'exit', 'restart', 'stop', 'give-up', 'start-failed', 'health', 'usage', 'supervisor:restart', 'supervisor:give-up'];

/** Sets up the display for `pm`. */
export function createDisplay({ pm, stdout, color, live, names }: DisplayOptions): Display {
  const c = colors(color);
  let phase: Phase = 'running';
  const table = live
    ? new LiveDisplay({
        stream: stdout,
        render: () => {
          const rows = pm.list();
          return `${renderStatusTable(rows, Date.now(), c)}\n${renderStatusFooter(rows, c, phase)}`;
        },
      })
    : undefined;
  const write = (line: string): void => {
    if (table) table.log(`${line}\n`);
    else stdout.write(`${line}\n`);
  };
  const detachOutput = pm.pipeOutput(table ? table.lines : stdout, { color, names });
  const detachLifecycle = attachLifecycle(pm, write, c);
  const redraw = (): void => table?.invalidate();
  for (const event of REDRAW_ON) pm.on(event, redraw);
  return {
    note: (text) => write(`${c.dim(TAG)} ${text}`),
    stopping: () => {
      phase = 'stopping';
      redraw();
    },
    close: () => {
      phase = 'stopped';
      for (const event of REDRAW_ON) pm.off(event, redraw);
      detachLifecycle();
      detachOutput();
      table?.close();
    },
  };
}
