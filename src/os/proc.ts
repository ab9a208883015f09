/**
 * Direct reads of Linux `/proc`, split by concern under `proc/`; this module gathers them so
 * callers import one path.
 */
export { forceNoProcForTests, HAS_PROC, listPids, readProcText, readUptime } from './proc/read.js';
export { isAlive, parseStat, readLink, readNode, readStat } from './proc/stat.js';
export type { ProcLink, ProcNode, ProcStat } from './proc/stat.js';
export {
  childrenIndex,
  descendantsOf,
  hasChildrenFiles,
  kernelThreads,
  readChildren,
  scanLinks,
  scanProcesses,
} from './proc/children.js';
export type { LinkScan } from './proc/children.js';
export { parseIo, readIo } from './proc/io.js';
export type { ProcIo } from './proc/io.js';
export { readEnvironRaw } from './proc/environ.js';
