/**
 * Whether the command colours its output, decided once per command with the runner's own rule
 * (`pipeOutput`'s `'auto'`: `FORCE_COLOR`, then `NO_COLOR`, then whether stdout is a terminal),
 * and `--no-color` over it. The same decision goes to the output prefixes, the lifecycle lines and
 * the status table.
 */
import { colorEnabled as autoColor, colors, type Colors } from '../../runner/colors.js';

export { colors, type Colors };

/** Whether to colour `stream`: never with `--no-color` (`flag` false), else the `'auto'` rule. */
export function colorEnabled(flag: boolean | undefined, stream: unknown, env: Readonly<Record<string, string | undefined>>): boolean {
  return flag !== false && autoColor('auto', stream, env as NodeJS.ProcessEnv);
}
