/**
 * The commands of `procvisor run`, named: package-manager shortcuts expanded as concurrently does
 * them, `--names` applied, every name usable as a procvisor name.
 *
 *   npm:build            → `npm run build`, named `build` (also pnpm:, yarn:, bun:)
 *   npm:build -- --prod  → `npm run build -- --prod`, named `build`
 *   npm:lint:*           → one command per script of ./package.json matching `lint:*`, named by
 *                          the part the `*` stands for (`lint:js` → `js`); a name given with
 *                          `--names` goes in front (`--names lint-` → `lint-js`)
 *   npm:lint:*(!fix)     → the same, leaving out scripts whose name contains `fix`
 *   anything else        → run as written, named by its position (`0`, `1`, …)
 */

/** A command to run and its name. */
export interface NamedCommand {
  readonly name: string;
  readonly command: string;
}

/** A shortcut that could not be expanded. */
export class CommandExpansionError extends Error {}
CommandExpansionError.prototype.name = 'CommandExpansionError';

const RUNNERS: Readonly<Record<string, string>> = { npm: 'npm run', pnpm: 'pnpm run', yarn: 'yarn run', bun: 'bun run' };
const SHORTCUT = /^(npm|pnpm|yarn|bun):(\S+)(.*)$/s;
const OMISSION = /^(.*)\(!([^)]*)\)$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Characters a procvisor name cannot hold become `-`. */
function usableName(name: string): string {
  return name.replace(/[#/]/g, '-');
}

/**
 * Expands one command line. `scripts` is the `scripts` object of ./package.json (needed only for a
 * wildcard); `given` is the name from `--names`, if any; `index` names a plain command.
 * @throws CommandExpansionError for a wildcard without scripts to match, or that matches none
 */
export function expandCommand(raw: string, index: number, given: string | undefined, scripts: Readonly<Record<string, unknown>> | undefined): NamedCommand[] {
  const shortcut = SHORTCUT.exec(raw.trim());
  if (!shortcut) return [{ name: given ?? String(index), command: raw }];
  const [, manager = 'npm', target = '', rest = ''] = shortcut;
  const runner = RUNNERS[manager] as string;
  if (!target.includes('*')) return [{ name: given ?? target, command: `${runner} ${target}${rest}` }];
  const omission = OMISSION.exec(target);
  const pattern = omission ? (omission[1] ?? '') : target;
  const omit = omission ? omission[2] : undefined;
  if (scripts === undefined) throw new CommandExpansionError(`\`${raw}\` needs the \`scripts\` of ./package.json, and there is no ./package.json with scripts`);
  const matcher = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('(.*)')}$`);
  const expanded: NamedCommand[] = [];
  for (const script of Object.keys(scripts)) {
    const match = matcher.exec(script);
    if (!match || (omit !== undefined && omit !== '' && script.includes(omit))) continue;
    const part = match.slice(1).join('');
    expanded.push({ name: `${given ?? ''}${part}` || script, command: `${runner} ${script}${rest}` });
  }
  if (expanded.length === 0) throw new CommandExpansionError(`\`${raw}\` matches no script of ./package.json (scripts: ${Object.keys(scripts).join(', ') || 'none'})`);
  return expanded;
}

/**
 * Expands every command line, applying `names` in order (a name per command line as written, not
 * per expanded script). Names are made usable (`#` and `/` become `-`) and unique (a repeated name
 * gets `-2`, `-3`, …).
 */
export function expandCommands(commands: readonly string[], names: readonly string[], scripts: Readonly<Record<string, unknown>> | undefined): NamedCommand[] {
  const all = commands.flatMap((command, i) => {
    const given = names[i]?.trim();
    return expandCommand(command, i, given === '' ? undefined : given, scripts);
  });
  const taken = new Set<string>();
  return all.map(({ name, command }) => {
    const base = usableName(name.trim() === '' ? 'command' : name.trim());
    let unique = base;
    for (let n = 2; taken.has(unique); n++) unique = `${base}-${n}`;
    taken.add(unique);
    return { name: unique, command };
  });
}
