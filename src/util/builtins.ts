/**
 * Node built-ins fetched on first use, for the modules the package's main entry imports.
 *
 * Why not `import { readFileSync } from 'node:fs'`: an ESM import of a built-in goes through its
 * ESM wrapper, which reads every export of the module. For `node:fs` that wakes the lazy
 * `ReadStream`/`WriteStream` getters, which load Node's whole stream stack (about 3 ms of CPU);
 * `node:child_process` and `node:net` load that stack, and more, on their own; `node:util` and
 * `node:module` cost only their wrappers, a fraction of a millisecond each. Fetching all five here,
 * at the first call that needs them, took about 5 ms of CPU (some 13%) off `import('procvisor')`:
 * a median of about 36 ms before, 31 ms after, over 60 fresh processes each. The stream stack is
 * loaded by whichever comes first, so one value import of `node:fs`, `node:child_process` or
 * `node:net` left anywhere in that graph keeps most of the cost.
 * An ESLint rule (eslint.config.js) keeps such imports out of `src/`; `import type` costs nothing.
 *
 * `process.getBuiltinModule` (Node 20.16+) is synchronous and returns the CommonJS exports object,
 * with no ESM wrapper. Each accessor keeps the module in a module-level variable: an uncached
 * `getBuiltinModule` call costs a few hundred nanoseconds, too much for the `/proc` reads done
 * thousands of times a second, while a cached one costs next to nothing.
 */

let fsModule: typeof import('node:fs') | undefined;
let childProcessModule: typeof import('node:child_process') | undefined;
let netModule: typeof import('node:net') | undefined;
let utilModule: typeof import('node:util') | undefined;
let moduleModule: typeof import('node:module') | undefined;

/**
 * `node:fs`, fetched on first use. Use this instead of importing `node:fs`: an ESM import of it
 * loads Node's stream stack, about 3 ms of every import of procvisor (see the module comment).
 */
export function fs(): typeof import('node:fs') {
  return (fsModule ??= process.getBuiltinModule('node:fs'));
}

/**
 * `node:child_process`, loaded on first use (the first spawn or `execFileSync`): loading it costs a
 * few milliseconds (it brings streams, `net` and more) that importing procvisor need not pay.
 */
export function childProcess(): typeof import('node:child_process') {
  return (childProcessModule ??= process.getBuiltinModule('node:child_process'));
}

/**
 * `node:net`, loaded on first use (the first listening socket): loading it costs milliseconds (it
 * brings streams) that importing procvisor need not pay.
 */
export function net(): typeof import('node:net') {
  return (netModule ??= process.getBuiltinModule('node:net'));
}

/**
 * `node:util`, fetched on first use. Node has loaded it already, but an ESM import of it still
 * builds its ESM wrapper, close to a millisecond of every import of procvisor.
 */
export function util(): typeof import('node:util') {
  return (utilModule ??= process.getBuiltinModule('node:util'));
}

/**
 * `node:module` (for `createRequire`), fetched on first use: an ESM import of it builds its ESM
 * wrapper, a fraction of a millisecond of every import of procvisor.
 */
export function nodeModule(): typeof import('node:module') {
  return (moduleModule ??= process.getBuiltinModule('node:module'));
}
