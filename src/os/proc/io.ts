/** Storage I/O of one process from `/proc/<pid>/io`. */
import { readProcText } from './read.js';

/** Bytes a process caused to be read from / written to storage (`/proc/<pid>/io`). */
export interface ProcIo {
  read: number;
  write: number;
}

/** Picks storage read/write bytes out of the text of `/proc/<pid>/io`. */
export function parseIo(text: string): ProcIo | undefined {
  const read = /^read_bytes: (\d+)/m.exec(text);
  const write = /^write_bytes: (\d+)/m.exec(text);
  if (!read || !write) return undefined;
  return { read: Number(read[1]), write: Number(write[1]) };
}

/** Reads `/proc/<pid>/io`; `undefined` when gone or not permitted (it needs ptrace access). */
export function readIo(pid: number): ProcIo | undefined {
  const text = readProcText(`/proc/${pid}/io`);
  return text === undefined ? undefined : parseIo(text);
}
