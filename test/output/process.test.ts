import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/output/lines.js';
import { fixture, NODE } from '../helpers.js';

/** Runs a fixture, pipes the chosen stream through a LineSplitter and returns its lines once it closes. */
async function linesOf(args: string[], stream: 'stdout' | 'stderr' = 'stdout'): Promise<string[]> {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  const child: ChildProcess = spawn(NODE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const source = stream === 'stdout' ? child.stdout : child.stderr;
    source?.on('data', (chunk: Buffer) => splitter.push(chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not finish within 20 s`)), 20_000);
      child.once('error', reject);
      // 'close' comes after the streams ended, so every chunk has been pushed.
      child.once('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${args.join(' ')} exited with ${String(code)}`));
      });
    });
    splitter.end();
    return lines;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function expectCounted(lines: string[], count: number): void {
  expect(lines.length).toBe(count);
  // One pass instead of a 100,000-element toEqual diff; reports the first line out of place.
  const wrong = lines.findIndex((line, i) => line !== `line ${i}`);
  expect(wrong === -1 ? 'all in order' : `line ${wrong} is ${JSON.stringify(lines[wrong])}`).toBe('all in order');
}

describe('LineSplitter on a real child process', () => {
  it('receives 100,000 stdout lines in order, each exactly once', async () => {
    expectCounted(await linesOf([fixture('print-lines.mjs'), '100000']), 100_000);
  });

  it('receives stderr lines the same way', async () => {
    expectCounted(await linesOf([fixture('print-lines.mjs'), '20000', 'stderr'], 'stderr'), 20_000);
  });

  it('handles CRLF, characters and \\r\\n cut between writes, and a last line without newline', async () => {
    expect(await linesOf([fixture('print-crlf.mjs')])).toEqual(['alpha', 'beta', 'héllo w€', '', 'tail without newline']);
  });
});
