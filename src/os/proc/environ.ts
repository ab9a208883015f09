/** Raw reads of `/proc/<pid>/environ`, for finding processes by an inherited variable. */
import { fs } from '../../util/builtins.js';

/** Grows as needed: environments are usually a few KB, but may reach the kernel's ARG_MAX share. */
let environBuffer = Buffer.allocUnsafe(16 * 1024);

/**
 * The raw bytes of `/proc/<pid>/environ` (NUL-separated `KEY=value` entries), or `undefined` when
 * it is gone or not readable (another user's process: EACCES). The result is a view of a shared
 * buffer, valid until the next call: search it, don't keep it. Empty for zombies and kernel threads.
 */
export function readEnvironRaw(pid: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs().openSync(`/proc/${pid}/environ`, 'r');
  } catch {
    return undefined;
  }
  try {
    // The kernel fills a read of environ up to the end of the block: a short read is the end.
    let length = fs().readSync(fd, environBuffer, 0, environBuffer.length, null);
    while (length === environBuffer.length) {
      const bigger = Buffer.allocUnsafe(environBuffer.length * 2);
      environBuffer.copy(bigger, 0, 0, length);
      environBuffer = bigger;
      length += fs().readSync(fd, environBuffer, length, environBuffer.length - length, null);
    }
    return environBuffer.subarray(0, length);
  } catch {
    return undefined;
  } finally {
    fs().closeSync(fd);
  }
}
