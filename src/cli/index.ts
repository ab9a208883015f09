#!/usr/bin/env node
/**
 * The `procvisor` command (docs/cli.md): `run`, `start`, `check`. Runs the command, waits until
 * what it wrote has been handed to the OS, and exits with its code.
 */
import { main } from './program.js';

/** Resolves once everything written to `stream` so far has been flushed. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write('', () => resolve());
  });
}

let code: number;
try {
  code = await main(process.argv);
} catch (error) {
  process.stderr.write(`procvisor: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  code = 1;
}
await Promise.all([drained(process.stdout), drained(process.stderr)]);
// Exit now: a kept-alive probe socket or a timer left by a library must not hold the command.
process.exit(code);
