/**
 * The status table of `procvisor start` on a terminal, as a pure function of `pm.list()` snapshots
 * and the time: one row per process or supervisor (children indented under their supervisor), with
 * name, state, pid, restarts, uptime, CPU and memory (of the whole process tree, from the latest
 * sample) and health. `live.ts` redraws it in place.
 */
import type { HealthStatus, Snapshot, State } from '../../api/types.js';
import type { Colors } from './colors.js';

/** The columns, in order. */
export const COLUMNS = ['NAME', 'STATE', 'PID', 'RESTARTS', 'UPTIME', 'CPU', 'MEMORY', 'HEALTH'] as const;

/** Longest name shown whole; longer ones are cut with `…`. */
const MAX_NAME = 32;

/** `5s`, `2m05s`, `3h07m`, `2d04h`. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** Decimal units, as procvisor's sizes: `512 B`, `1.5 kB`, `45.3 MB`, `2.1 GB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** CPU in % of one core: `0.0%`, `12.5%`, `230.0%`. */
export function formatCpu(percent: number): string {
  return `${percent.toFixed(1)}%`;
}

const UP: readonly State[] = ['starting', 'running', 'stopping'];

/** The cells of one row, as plain text. */
export function rowCells(row: Snapshot, now: number): string[] {
  const name = `${'  '.repeat(row.depth)}${row.name}`;
  const up = row.kind === 'process' && UP.includes(row.state) && row.startedAt !== undefined;
  const usage = row.kind === 'process' && up ? row.usage : undefined;
  return [
    name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name,
    row.state,
    row.pid === undefined ? '-' : String(row.pid),
    String(row.restarts),
    up ? formatUptime(now - (row.startedAt as number)) : '-',
    usage ? formatCpu(usage.tree.cpu) : '-',
    usage ? formatBytes(usage.tree.memory) : '-',
    row.kind === 'process' && row.health !== 'unknown' ? row.health : '-',
  ];
}

function stateColor(c: Colors, state: State): (text: string) => string {
  switch (state) {
    case 'running':
      return c.green;
    case 'starting':
    case 'stopping':
    case 'backoff':
      return c.yellow;
    case 'failed':
      return c.red;
    default:
      return c.dim;
  }
}

function healthColor(c: Colors, health: HealthStatus | '-'): (text: string) => string {
  switch (health) {
    case 'healthy':
      return c.green;
    case 'warning':
      return c.yellow;
    case 'critical':
    case 'failed':
      return c.red;
    default:
      return c.dim;
  }
}

/**
 * The table as text, one line per row under a header line, columns padded to their widest cell;
 * no trailing newline. Colours come from `c` (pass disabled colours for plain text).
 */
export function renderStatusTable(rows: readonly Snapshot[], now: number, c: Colors): string {
  const cells = rows.map((row) => rowCells(row, now));
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (texts: readonly string[], paint: (text: string, i: number) => string): string =>
    texts
      .map((text, i) => paint(i === texts.length - 1 ? text : text.padEnd(widths[i] ?? 0), i))
      .join('  ');
  const header = line(COLUMNS, (text) => c.bold(c.dim(text)));
  const body = cells.map((texts, r) =>
    line(texts, (text, i) => {
      const row = rows[r] as Snapshot;
      if (i === 1) return stateColor(c, row.state)(text);
      if (i === 7) return healthColor(c, texts[7] as HealthStatus | '-')(text);
      if (i === 0) return row.kind === 'supervisor' ? c.bold(text) : text;
      return text === '-' ? c.dim(text) : text;
    }),
  );
  return [header, ...body].join('\n');
}

/** Where the command is: supervising, shutting down, or done. */
export type Phase = 'running' | 'stopping' | 'stopped';

const HINTS: Readonly<Record<Phase, string>> = {
  running: 'Ctrl-C to stop',
  stopping: 'stopping… (Ctrl-C again to kill at once)',
  stopped: 'stopped',
};

/** The line under the table: how many processes run, and how to stop. */
export function renderStatusFooter(rows: readonly Snapshot[], c: Colors, phase: Phase): string {
  const processes = rows.filter((r) => r.kind === 'process');
  const running = processes.filter((r) => r.state === 'running').length;
  const hint = HINTS[phase];
  return c.dim(`${running}/${processes.length} running · ${hint}`);
}
