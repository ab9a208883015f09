/**
 * `--log-dir`: one file per process, lines as they come, rotated by size with a fixed number of
 * files kept.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogDir } from '../../src/cli/ui/log-dir.js';

const root = mkdtempSync(join(tmpdir(), 'procvisor-cli-logs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('LogDir', () => {
  it('writes each process\'s lines to DIR/<name>.log, creating the directory', async () => {
    const dir = join(root, 'plain', 'logs');
    const errors: string[] = [];
    const logs = new LogDir({ dir, maxSize: 1_000_000, files: 3, onError: (m) => errors.push(m) });
    logs.write('web', 'listening');
    logs.write('worker#0', 'job 1');
    logs.write('web', 'GET /');
    await logs.close();
    expect(readFileSync(join(dir, 'web.log'), 'utf8')).toBe('listening\nGET /\n');
    expect(readFileSync(join(dir, 'worker#0.log'), 'utf8')).toBe('job 1\n');
    expect(errors).toEqual([]);
  });

  it('rotates at the size limit and keeps only the newest rotated files', async () => {
    const dir = join(root, 'rotated');
    const logs = new LogDir({ dir, maxSize: 100, files: 2, onError: () => {} });
    // 10 lines of 50 bytes: a rotation every 2 lines.
    for (let i = 0; i < 10; i++) logs.write('chatty', `${String(i).padStart(2, '0')} ${'x'.repeat(46)}`);
    await logs.close();
    expect(readdirSync(dir).sort()).toEqual(['chatty.log', 'chatty.log.1', 'chatty.log.2']);
    const newest = readFileSync(join(dir, 'chatty.log.1'), 'utf8');
    expect(newest.length).toBeGreaterThan(0);
    expect(newest.length).toBeLessThanOrEqual(150);
    expect(existsSync(join(dir, 'chatty.log.3'))).toBe(false);
  });
});
