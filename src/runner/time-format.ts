/** The clock time runners show: `HH:MM:SS.mmm`, local time, from a time in ms since the epoch. */
export function clockTime(ms: number): string {
  const date = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** How long every {@link clockTime} is, for padding before any time is known. */
export const CLOCK_TIME_WIDTH = 12;
