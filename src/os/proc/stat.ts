/**
 * `/proc/<pid>/stat`: one field extractor, {@link statFields}, and the readers built on it, each
 * returning only what its callers need (a scan reads every process on the machine, a stop reads
 * every member several times, a sampling round every sampled process).
 */
import { HAS_PROC, readProcText } from './read.js';

/** The fields of `/proc/<pid>/stat` procvisor uses. */
export interface ProcStat {
  pid: number;
  /** Executable name (may be truncated to 15 chars by the kernel). */
  comm: string;
  /** One-letter state; `Z` is a zombie, `X` dead. */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** User + system CPU time in clock ticks. */
  utime: number;
  stime: number;
  /** CPU time of waited-for (reaped) children, in clock ticks. */
  cutime?: number;
  cstime?: number;
  threads: number;
  /** Start time in clock ticks after boot: with the pid, it names one process for ever. */
  starttime: number;
  /** Resident set in pages. */
  rssPages: number;
}

/*
 * Field numbers as `statFields` counts them: from the state (0), i.e. proc(5)'s number minus 3.
 * Plain module constants rather than an object, so the hot readers index with no property load.
 */
const PPID = 1;
const PGID = 2;
const SID = 3;
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;
const THREADS = 17;
const STARTTIME = 19;
const RSS = 21;

/**
 * Reused by every parse: the readers copy what they need out of it before returning. A plain array
 * rather than a Float64Array, which would hand out doubles where the old readers returned small
 * integers.
 */
const fields: number[] = new Array<number>(RSS + 1).fill(0);

/**
 * Extracts the numeric fields 1..`last` of a stat text into the shared `fields` (valid until the
 * next call), with the state's character code at 0; `undefined` when the text is cut short.
 * Fields are counted after the LAST ')': the command name may hold spaces and parentheses. Digits
 * are summed as they are scanned instead of splitting all 52 fields into strings, which dominated
 * the JavaScript share of a sampling round.
 */
function statFields(text: string, last: number): number[] | undefined {
  const close = text.lastIndexOf(')');
  // ") S 1 ...": the state is one letter, numbers start four characters after the ')'.
  if (close < 0) return undefined;
  fields[0] = text.charCodeAt(close + 2);
  let field = 1;
  let value = 0;
  let sign = 1;
  for (let i = close + 4; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 32 /* space */ || code === 10 /* newline */) {
      fields[field] = sign * value;
      if (field === last) return fields;
      field++;
      value = 0;
      sign = 1;
    } else if (code === 45 /* - */) {
      sign = -1;
    } else {
      value = value * 10 + (code - 48);
    }
  }
  return undefined;
}

/** Zombie or dead, from a state's character code. */
const isGone = (state: number): boolean => state === 90 /* Z */ || state === 88 /* X */;

/** Parses the text of `/proc/<pid>/stat`. The comm field may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const f = statFields(text, RSS);
  const open = text.indexOf('(');
  if (!f || open < 0) return undefined;
  return {
    pid: Number(text.slice(0, open - 1)),
    comm: text.slice(open + 1, text.lastIndexOf(')')),
    state: String.fromCharCode(f[0] as number),
    ppid: f[PPID] as number,
    pgid: f[PGID] as number,
    sid: f[SID] as number,
    utime: f[UTIME] as number,
    stime: f[STIME] as number,
    cutime: f[CUTIME] as number,
    cstime: f[CSTIME] as number,
    threads: f[THREADS] as number,
    starttime: f[STARTTIME] as number,
    rssPages: f[RSS] as number,
  };
}

/**
 * Reads one process's stat, or `undefined` when it is gone (or not readable). Goes through
 * `readProcText` (one shared buffer, open + read + close): scans read hundreds of these in a row.
 */
export function readStat(pid: number): ProcStat | undefined {
  const text = readProcText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** The fields up to the start time, all a tree walk reads (shared `fields`, see {@link statFields}). */
function readTreeFields(pid: number): number[] | undefined {
  const text = readProcText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : statFields(text, STARTTIME);
}

/** What a tree walk needs of one process: {@link scanLinks}. */
export interface ProcLink {
  ppid: number;
  starttime: number;
  /** Zombie or dead: its children were already handed to a reaper, it is no parent any more. */
  gone: boolean;
}

/** Reads ppid, state and start time: a scan does this for every process on the machine. */
export function readLink(pid: number): ProcLink | undefined {
  const f = readTreeFields(pid);
  if (!f) return undefined;
  return { ppid: f[PPID] as number, starttime: f[STARTTIME] as number, gone: isGone(f[0] as number) };
}

/** What a tree walk and a signal need of one process: {@link readNode}. */
export interface ProcNode extends ProcLink {
  pgid: number;
  /** Threads: a single-threaded process lists its children in one file. */
  threads: number;
  /** Stopped by a signal (`T`) or by a tracer (`t`): it holds any other signal until it runs again. */
  stopped: boolean;
}

/** Reads ppid, pgid, state, thread count and start time (a stop reads this for every member, several times). */
export function readNode(pid: number): ProcNode | undefined {
  const f = readTreeFields(pid);
  if (!f) return undefined;
  return {
    ppid: f[PPID] as number,
    pgid: f[PGID] as number,
    threads: f[THREADS] as number,
    starttime: f[STARTTIME] as number,
    gone: isGone(f[0] as number),
    stopped: f[0] === 84 /* T */ || f[0] === 116 /* t */,
  };
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number, starttime?: number): boolean {
  if (HAS_PROC) {
    const link = readLink(pid);
    if (!link || link.gone) return false;
    return starttime === undefined || link.starttime === starttime;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
