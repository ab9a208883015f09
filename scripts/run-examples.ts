/**
 * Smoke-runs every example in examples/: each must exit 0 by itself within its time limit. A
 * `.ts` file runs as a program; a folder is a test project run by its framework: with a
 * `vitest.config.ts` by vitest, otherwise its `*.test.mjs` files by `node --test`. Examples import
 * the package by its name (`procvisor/vitest`), which resolves to the build: run `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dir = `${root}examples/`;

/** How to run one example: the command line, or undefined for files that are not examples. */
function commandFor(entry: string): string[] | undefined {
  const path = `${dir}${entry}`;
  if (statSync(path).isDirectory()) {
    if (existsSync(`${path}/vitest.config.ts`)) return [process.execPath, `${root}node_modules/vitest/vitest.mjs`, 'run', '--root', path];
    return [process.execPath, '--test', path];
  }
  return entry.endsWith('.ts') ? [process.execPath, '--import', 'tsx', path] : undefined;
}

let failed = 0;
for (const entry of readdirSync(dir).sort()) {
  const command = commandFor(entry);
  if (!command) continue;
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const [program, ...args] = command as [string, ...string[]];
    const child = spawn(program, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      if (exitCode !== 0) process.stdout.write(out);
      resolve(exitCode);
    });
  });
  const ok = code === 0;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} examples/${entry} (${Date.now() - started} ms${ok ? '' : `, exit ${code}`})`);
}
if (failed > 0) process.exit(1);
