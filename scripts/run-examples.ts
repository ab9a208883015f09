/**
 * Smoke-runs every example in examples/: each must exit 0 by itself within its time limit.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../examples/', import.meta.url));
const examples = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
let failed = 0;
for (const file of examples) {
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${dir}${file}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      if (exitCode !== 0) process.stdout.write(out);
      resolve(exitCode);
    });
  });
  const ok = code === 0;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} examples/${file} (${Date.now() - started} ms${ok ? '' : `, exit ${code}`})`);
}
if (failed > 0) process.exit(1);
