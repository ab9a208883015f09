/**
 * Output through the manager with real processes: one `output` event per line with its stream, the
 * ring buffer behind `handle.logs()`, masking everywhere output shows, partial last lines, and the
 * unbuffering environment children get.
 */
import { describe, expect, it } from 'vitest';
import { ProcessManager, StartFailedError } from '../../src/index.js';
import type { OutputEvent } from '../../src/index.js';
import { track, until } from '../helpers.js';
import { nodeSpec, payloads, record } from './support.js';

function manager(): ProcessManager {
  return track(new ProcessManager({ backoff: { type: 'fixed', delay: 20 } }));
}

function lines(events: readonly OutputEvent[], stream?: 'stdout' | 'stderr'): string[] {
  return events.filter((e) => stream === undefined || e.stream === stream).map((e) => e.line);
}

describe('output events and logs', () => {
  it('emits one output event per line, with its stream and pid, and keeps them in logs()', async () => {
    const pm = manager();
    const seen = record(pm, ['output']);
    const handle = await pm.start(nodeSpec('talk', 'emit-lines.mjs', ['o:one', 'e:two', 'o:three', 'e:four', 'o:done']));
    await until(() => payloads(seen, 'output').length >= 5, 5000, 'five lines');
    const events = payloads(seen, 'output');
    expect(lines(events, 'stdout')).toEqual(['one', 'three', 'done']);
    expect(lines(events, 'stderr')).toEqual(['two', 'four']);
    for (const event of events) expect(event).toMatchObject({ name: 'talk', pid: handle.pid, path: ['talk'] });
    const logs = handle.logs();
    expect(logs.map((l) => `${l.stream}:${l.line}`).sort()).toEqual(['stderr:four', 'stderr:two', 'stdout:done', 'stdout:one', 'stdout:three']);
    for (const line of logs) expect(line.time).toBeTypeOf('number');
    await pm.stop('talk');
  });

  it('keeps the last `output.lines` lines; logs(n) gives the last n', async () => {
    const pm = manager();
    const handle = await pm.start(nodeSpec('many', 'emit-lines.mjs', ['o:l1', 'o:l2', 'o:l3', 'o:l4', 'o:l5', 'o:end'], { output: { lines: 3 } }));
    await until(() => handle.logs().some((l) => l.line === 'end'), 5000, 'the last line');
    expect(handle.logs().map((l) => l.line)).toEqual(['l4', 'l5', 'end']);
    expect(handle.logs(2).map((l) => l.line)).toEqual(['l5', 'end']);
    expect(handle.logs(10).map((l) => l.line)).toEqual(['l4', 'l5', 'end']);
    await pm.stop('many');
  });

  it('delivers a last line that has no line end once the process exits', async () => {
    const pm = manager();
    const seen = record(pm, ['output', 'exit']);
    const handle = await pm.start(nodeSpec('partial', 'emit-lines.mjs', ['o:whole', 'p:no newline here', 'exit:0'], { restart: 'transient' }));
    await handle.waitFor('exited', { timeout: 5000 });
    await until(() => payloads(seen, 'output').length >= 2, 2000, 'the partial line');
    expect(lines(payloads(seen, 'output'))).toEqual(['whole', 'no newline here']);
    expect(handle.logs().map((l) => l.line)).toEqual(['whole', 'no newline here']);
  });
});

describe('masking', () => {
  const mask = ['hunter2', /tok-\d+/];

  it('masks secrets in output events and in logs()', async () => {
    const pm = manager();
    const seen = record(pm, ['output']);
    const handle = await pm.start(
      nodeSpec('secret', 'emit-lines.mjs', ['o:password=hunter2', 'e:auth tok-12345 ok', 'o:plain'], { output: { mask } }),
    );
    await until(() => payloads(seen, 'output').length >= 3, 5000, 'three lines');
    const all = [...lines(payloads(seen, 'output')), ...handle.logs().map((l) => l.line)];
    expect(all.join('\n')).not.toMatch(/hunter2|tok-\d/);
    expect(lines(payloads(seen, 'output')).sort()).toEqual(['auth *** ok', 'password=***', 'plain']);
    await pm.stop('secret');
  });

  it('masks secrets in the message and lastOutput of a StartFailedError', async () => {
    const pm = manager();
    const error = await pm
      .start(
        nodeSpec('leak', 'emit-lines.mjs', ['o:connecting with hunter2', 'e:bad token tok-999', 'exit:2'], {
          output: { mask },
          readiness: { type: 'log', pattern: 'never printed' },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    const start = error as StartFailedError;
    expect(start.message).not.toMatch(/hunter2|tok-\d/);
    expect(start.message).toContain('connecting with ***');
    expect(start.lastOutput.map((l) => l.line).join('\n')).not.toMatch(/hunter2|tok-\d/);
    expect(start.lastOutput.map((l) => l.line).sort()).toEqual(['bad token ***', 'connecting with ***']);
  });
});

describe('environment', () => {
  it('sets PYTHONUNBUFFERED=1 for children unless the spec sets it', async () => {
    const pm = manager();
    const plain = await pm.start(nodeSpec('plain', 'echo-env.mjs', ['PYTHONUNBUFFERED']));
    const own = await pm.start(nodeSpec('own', 'echo-env.mjs', ['PYTHONUNBUFFERED'], { env: { PYTHONUNBUFFERED: '0' } }));
    const removed = await pm.start(nodeSpec('removed', 'echo-env.mjs', ['PYTHONUNBUFFERED'], { env: { PYTHONUNBUFFERED: undefined } }));
    await until(() => [plain, own, removed].every((h) => h.logs().length > 0), 5000, 'the three reports');
    expect(plain.logs().map((l) => l.line)).toEqual(['PYTHONUNBUFFERED=1']);
    expect(own.logs().map((l) => l.line)).toEqual(['PYTHONUNBUFFERED=0']);
    expect(removed.logs().map((l) => l.line)).toEqual(['PYTHONUNBUFFERED is unset']);
    await pm.shutdown();
  });
});
