/**
 * Colour for runner output: whether to colour a stream (`color: 'auto'`), and the fixed palette a
 * process's prefix takes its colour from. Red is kept out of the palette: it marks stderr.
 */
import type Picocolors from 'picocolors';
import { nodeModule } from '../util/builtins.js';

/** Loaded on the first colours asked for: a host that never pipes output never pays for it (nor for `tty`). */
let picocolors: typeof Picocolors | undefined;

/** picocolors' formatters, enabled or not. */
export type Colors = ReturnType<typeof Picocolors.createColors>;

/** A formatter from {@link Colors}. */
export type Paint = Colors['cyan'];

/** Formatters by name, so a palette entry is looked up on an enabled or disabled set alike. */
type ColorName = 'cyan' | 'magenta' | 'yellow' | 'green' | 'blue' | 'cyanBright' | 'magentaBright' | 'yellowBright' | 'greenBright' | 'blueBright';

/** The colours of prefixes, by a process's index (cycling). */
export const PALETTE: readonly ColorName[] = Object.freeze(['cyan', 'magenta', 'yellow', 'green', 'blue', 'cyanBright', 'magentaBright', 'yellowBright', 'greenBright', 'blueBright']);

/** picocolors' formatters, colouring or not. */
export function colors(enabled: boolean): Colors {
  picocolors ??= nodeModule().createRequire(import.meta.url)('picocolors') as typeof Picocolors;
  return picocolors.createColors(enabled);
}

/** The colour of the process with index `index`. */
export function paletteColor(c: Colors, index: number): Paint {
  return c[PALETTE[index % PALETTE.length] as ColorName];
}

/**
 * Whether `color` means colour on `stream`. `'auto'` follows Node's own conventions: `FORCE_COLOR`
 * set to anything but `'0'` or `'false'` forces colour, and `'0'` or `'false'` forbids it; otherwise a
 * non-empty `NO_COLOR` forbids it; otherwise colour when the stream is a terminal.
 */
export function colorEnabled(color: 'auto' | boolean, stream: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  if (typeof color === 'boolean') return color;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return (stream as { isTTY?: unknown } | null)?.isTTY === true;
}
