/**
 * Output commands: how a child in any language talks to its supervisor through stdout lines
 * starting with `::procvisor::` (API.md "Output commands").
 */

/** Every command line starts with this. */
export const COMMAND_PREFIX = '::procvisor::';

/** A parsed output command. */
export type OutputCommand =
  /** `::procvisor::ready [json]`: `data` is the parsed JSON, the raw text if it is not JSON, or `undefined`. */
  | { type: 'ready'; data: unknown }
  /** `::procvisor::heartbeat`. */
  | { type: 'heartbeat' }
  /** `::procvisor::status <text>`. */
  | { type: 'status'; status: string }
  /** `::procvisor::metric <name> <number>`. */
  | { type: 'metric'; name: string; value: number };

/** A line that starts with the prefix but is not a valid command; `malformed` says why. */
export interface MalformedCommand {
  malformed: string;
}

// A plain decimal number: Number() alone would also take '', '0x1f', 'Infinity' and '  '.
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const SPACE = /\s+/;

/**
 * Parses one output line. Returns `undefined` for an ordinary line (the prefix test is the only cost
 * then), the command for a valid command line, or `{ malformed }` with the reason. Verbs are
 * lower-case; `heartbeat` takes no argument, `metric` exactly a name and a number.
 */
export function parseOutputCommand(line: string): OutputCommand | MalformedCommand | undefined {
  if (!line.startsWith(COMMAND_PREFIX)) return undefined;
  const body = line.slice(COMMAND_PREFIX.length).trim();
  const space = body.search(SPACE);
  const verb = space === -1 ? body : body.slice(0, space);
  const rest = space === -1 ? '' : body.slice(space).trimStart();
  switch (verb) {
    case 'ready':
      return { type: 'ready', data: rest === '' ? undefined : parseJson(rest) };
    case 'heartbeat':
      return rest === '' ? { type: 'heartbeat' } : { malformed: `heartbeat takes no argument, got \`${rest}\`` };
    case 'status':
      return rest === '' ? { malformed: 'status needs a text' } : { type: 'status', status: rest };
    case 'metric':
      return parseMetric(rest);
    case '':
      return { malformed: `no command after \`${COMMAND_PREFIX}\`` };
    default:
      return { malformed: `unknown command \`${verb}\`` };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function parseMetric(rest: string): OutputCommand | MalformedCommand {
  const parts = rest === '' ? [] : rest.split(SPACE);
  const [name, value] = parts;
  if (name === undefined || value === undefined || parts.length !== 2) {
    return { malformed: `metric needs a name and a number, got \`${rest}\`` };
  }
  const number = Number(value);
  if (!NUMBER.test(value) || !Number.isFinite(number)) {
    return { malformed: `metric \`${name}\` needs a finite number, got \`${value}\`` };
  }
  return { type: 'metric', name, value: number };
}
