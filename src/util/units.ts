/**
 * Parsing of the duration and size strings users write (`'250ms'`, `'512MB'`). The public types only
 * admit well-formed literals; values built at run time arrive here as any string and are checked.
 */
const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i;

/**
 * Parses a duration into milliseconds. Returns `undefined` for anything that is not a finite,
 * non-negative number or a string like `'250ms'`, `'1.5s'`, `'2m'`. `Infinity` is accepted as a number.
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) || value < 0 ? undefined : value;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase() || 'ms';
  const factor = DURATION_UNITS[unit];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** Parses a size into bytes (`'512MB'` = 512·10⁶, `'512MiB'` = 512·2²⁰). `undefined` when invalid. */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase() || 'b';
  const factor = SIZE_UNITS[unit];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}
