/**
 * The `procvisor` command line: the commander program with its four commands. Each command's
 * action resolves with an exit code, which `main` returns (index.ts exits with it).
 */
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import type { Duration } from '../api/types.js';
import { parseDuration } from '../util/units.js';
// Each command is imported when it runs: `procvisor run` never loads the config loader, the status
// table or the log files of `start` (start-up time and memory are what a runner is measured by).
import type { RunOptions } from './commands/run.js';
import type { StartOptions } from './commands/start.js';
import type { ExportCommandOptions } from './commands/export.js';
import type { ExportTarget } from '../export/types.js';
import { CONFIG_FILES } from './config/load.js';
import { SETTINGS } from './config/merge.js';
import { processIo, type CommandIo } from './io.js';
import { packageVersion } from './version.js';

function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
    return Number(text);
  };
}

function duration(text: string): Duration {
  if (parseDuration(text.trim()) === undefined) throw new InvalidArgumentError("expected milliseconds or a duration such as '500ms' or '2s'");
  return text.trim() as Duration;
}

const DISCOVERY = `Without [file]: ${CONFIG_FILES.join(', ')} or a Procfile, in the working directory or the nearest parent that has one.`;

const RUN_HELP = `
Examples:
  $ procvisor run "npm:watch-*" "node server.js"
  $ procvisor run --names api,web --kill-others-on-fail -- "node api.js" "vite"
  $ procvisor run --success first --kill-others -- "npm run serve" "npm test"

Exit code: 0 when the success rule is met; otherwise the exit code of the command the rule blames
(1 when it has none); 130 after Ctrl-C (143 after SIGTERM).`;

const START_HELP = `
${DISCOVERY}
Settings, lowest to highest precedence: defaults < config file (its \`manager\`) < environment < flags.
${SETTINGS.map((s) => `  ${s.env.padEnd(28)} ${s.flag}`).join('\n')}

Signals: the first SIGINT/SIGTERM stops every process gracefully (reverse start order); a second one
SIGKILLs every process tree at once.
Exit code: 0 when everything stopped cleanly; 1 for an invalid config or when a process had to be
SIGKILLed; 130 (SIGINT) or 143 (SIGTERM) after a second signal.`;

/** Builds the program; `done` receives the exit code of the command that ran. */
export function createProgram(io: CommandIo, done: (code: number) => void): Command {
  const program = new Command('procvisor')
    .description('Supervise processes: run commands side by side, or start what a config declares.')
    .version(packageVersion(), '-v, --version', 'print the version')
    .showHelpAfterError('(add --help for usage)');

  program
    .command('run')
    .description('run commands side by side, through a shell, with prefixed output')
    .argument('<commands...>', 'the commands; quote each one; npm:<script> and npm:<pattern-with-*> are shortcuts')
    .option('-n, --names <list>', 'names of the commands, comma-separated, in order')
    .option('-k, --kill-others', 'stop the other commands when one ends, whether it succeeded or failed')
    .option('--kill-others-on-fail', 'stop the other commands when one fails')
    .option('-s, --success <rule>', 'which commands must succeed: all, first, last, command-NAME, !command-NAME', 'all')
    .addOption(new Option('--restart-tries <n>', 'run a failed command again, up to n times').argParser(wholeNumber(0)))
    .addOption(new Option('--restart-after <ms>', 'wait before each restart (milliseconds, or a duration such as 2s)').argParser(duration))
    .addOption(new Option('--max-processes <n>', 'run at most n commands at once').argParser(wholeNumber(1)))
    .option('-r, --raw', 'write the output as it is: no prefixes, no lines of procvisor\'s own')
    .option('--timestamps', 'write each line\'s time (HH:MM:SS.mmm) before it')
    .option('-p, --prefix <template>', 'the prefix: {name}, {pid}, {index}, {time}', '[{name}]')
    .option('--no-color', 'no colours')
    .addHelpText('after', RUN_HELP)
    .action(async (commands: string[], options: RunOptions) => done(await (await import('./commands/run.js')).runCommand(commands, options, io)));

  const start = program
    .command('start')
    .description('supervise the processes a config declares, until stopped')
    .argument('[file]', 'a config file (procvisor.config.*, *.json, or a Procfile), or a directory to search');
  for (const setting of SETTINGS) start.option(`${setting.flag} ${setting.value}`, `${setting.description} [${setting.env}]`);
  start
    .option('--no-color', 'no colours')
    .addHelpText('after', START_HELP)
    .action(async (file: string | undefined, options: StartOptions) => done(await (await import('./commands/start.js')).startCommand(file, options, io)));

  program
    .command('check')
    .description('validate a config and print every problem with its field path; starts nothing')
    .argument('[file]', 'a config file or a directory to search')
    .option('--no-color', 'no colours')
    .addHelpText('after', `\n${DISCOVERY}\nExit code: 0 when the config is valid, 1 otherwise.`)
    .action(async (file: string | undefined, options: { color?: boolean }) => done(await (await import('./commands/check.js')).checkCommand(file, options, io)));

  program
    .command('export')
    .description('write a config for Kubernetes, Docker Compose or systemd, with a warning for each field that cannot map')
    .addArgument(new Argument('<target>', 'the engine').choices(['kubernetes', 'compose', 'systemd']))
    .argument('[file]', 'a config file or a directory to search')
    .option('-o, --out <dir>', 'write the files into <dir> instead of printing them')
    .option('--image <image>', "container image of every process (kubernetes, compose; default 'node:20')")
    .option('--namespace <namespace>', 'metadata.namespace of every object (kubernetes)')
    .option('--no-color', 'no colours')
    .addHelpText(
      'after',
      `\n${DISCOVERY}\nPrints YAML (kubernetes: one document per object; compose: one document) or the unit files, each after a \`# <file>\` line.\nWarnings go to stderr. Exit code: 0 when exported, 1 for an invalid config.\nSee https://github.com/procvisor/procvisor/blob/main/docs/export.md`,
    )
    .action(async (target: ExportTarget, file: string | undefined, options: ExportCommandOptions) =>
      done(await (await import('./commands/export.js')).exportCommand(target, file, options, io)),
    );

  return program;
}

/** Parses `argv` (as `process.argv`) and runs the command; resolves with its exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  let code = 0;
  await createProgram(io, (c) => (code = c)).parseAsync([...argv]);
  return code;
}
