/**
 * `pm.pipeOutput()` with real jobs writing real output: the line layout (prefix, stderr marker
 * column, padding), the template fields, raw output, the names filter, timestamps, colour, partial
 * lines, detaching, and streams that fail.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, ProcessManager } from '../../src/index.js';
import type { JobSpec } from '../../src/index.js';
import { colorEnabled } from '../../src/runner/colors.js';
import { clockTime } from '../../src/runner/time-format.js';
import { fixture, NODE, track } from '../helpers.js';
import { payloads, record } from '../manager/support.js';

function manager(): ProcessManager {
  return track(new ProcessManager({ maxConcurrentJobs: 8 }));
}

/** A job acting out `runner-say.mjs` arguments. */
const say = (name: string, ...acts: string[]): JobSpec => ({ name, command: NODE, args: [fixture('runner-say.mjs'), ...acts] });

/** A stream that keeps what is written, and can be told to fail. */
class Sink extends Writable {
  text = '';
  writes = 0;
  constructor(private readonly fail = false) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.writes++;
    if (this.fail) {
      done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      return;
    }
    this.text += chunk.toString();
    done();
  }
  /** The written lines, without the final line end. */
  get lines(): string[] {
    return this.text === '' ? [] : this.text.replace(/\n$/, '').split('\n');
  }
}

const ESC = '\u001b[';

// `color: 'auto'` reads the environment: the tests decide it, not the shell or CI that runs them.
beforeEach(() => {
  vi.stubEnv('FORCE_COLOR', undefined);
  vi.stubEnv('NO_COLOR', undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('pipeOutput: layout', () => {
  it('prefixes each line with `[name]`, pads to the longest prefix seen so far, and aligns the text', async () => {
    const pm = manager();
    const sink = new Sink();
    pm.pipeOutput(sink);
    await pm.run(say('a', 'o:one'));
    await pm.run(say('longer', 'o:two'));
    await pm.run(say('a', 'o:three'));
    // Width grows with the longest prefix so far: `[a]` alone needs no padding, later it pads to `[longer]`.
    expect(sink.lines).toEqual(['[a]  one', '[longer]  two', '[a]       three']);
    expect(new Set(sink.lines.slice(1).map((l) => l.search(/two|three/)))).toEqual(new Set([10]));
  });

  it('knows the prefixes of `names` from the start, so the first lines already align', async () => {
    const pm = manager();
    const sink = new Sink();
    pm.pipeOutput(sink, { names: ['a', 'much-longer'] });
    await pm.run(say('a', 'o:first'));
    await pm.run(say('much-longer', 'o:second'));
    // Both padded to `[much-longer]` (13 characters), then the marker column and one space.
    expect(sink.lines).toEqual([`${'[a]'.padEnd(13)}  first`, '[much-longer]  second']);
  });

  it('marks stderr lines with `!` right after the prefix, distinguishable without colour', async () => {
    const pm = manager();
    const sink = new Sink();
    pm.pipeOutput(sink, { color: false });
    await pm.run(say('app', 'o:fine', 'e:broken'));
    expect(sink.lines.sort()).toEqual(['[app]  fine', '[app]! broken']);
    expect(sink.text).not.toContain(ESC);
  });

  it('fills `{name}`, `{pid}`, `{index}` and `{time}` in the template', async () => {
    const pm = manager();
    const seen = record(pm, ['output']);
    const sink = new Sink();
    pm.pipeOutput(sink, { prefix: '{index}|{name}|{pid}|{time}' });
    await pm.run(say('first', 'o:x'));
    await pm.run(say('second', 'o:y'));
    await pm.run(say('first', 'o:z'));
    const events = payloads(seen, 'output');
    const expected = events.map((e) => `${e.name === 'first' ? 0 : 1}|${e.name}|${e.pid}|${clockTime(e.time)}`);
    const prefixes = sink.lines.map((l) => l.split(' ')[0]);
    expect(prefixes).toEqual(expected);
    expect(prefixes[0]).toMatch(/^0\|first\|\d+\|\d{2}:\d{2}:\d{2}\.\d{3}$/);
  });

  it("writes raw output with `prefix: ''`: the text alone, stderr unmarked", async () => {
    const pm = manager();
    const sink = new Sink();
    pm.pipeOutput(sink, { prefix: '', color: true });
    await pm.run(say('raw', 'o:just this', 'e:and this'));
    expect(sink.lines.sort()).toEqual(['and this', 'just this']);
  });

  it('writes the `HH:MM:SS.mmm` local time of each line before the prefix with `timestamps`', async () => {
    const pm = manager();
    const seen = record(pm, ['output']);
    const sink = new Sink();
    pm.pipeOutput(sink, { timestamps: true, color: false });
    await pm.run(say('clock', 'o:tick'));
    const [event] = payloads(seen, 'output');
    const [line] = sink.lines;
    expect(line).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} \[clock\] {2}tick$/);
    const date = new Date(event?.time ?? 0);
    const local = [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    expect(line?.slice(0, 12)).toBe(`${local}.${String(date.getMilliseconds()).padStart(3, '0')}`);
  });

  it('writes a partial line as a line of its own', async () => {
    const pm = manager();
    const sink = new Sink();
    pm.pipeOutput(sink, { color: false });
    // An output event with `partial: true`, as the output pipeline emits for an unended line.
    pm.emit('output', { name: 'bar', time: Date.now(), path: ['bar'], pid: 42, stream: 'stdout', line: 'progress 50%', partial: true });
    // And a real process whose last output has no line end.
    await pm.run(say('prompt', 'o:whole', 'p:Continue? '));
    expect(sink.text).toBe('[bar]  progress 50%\n[prompt]  whole\n[prompt]  Continue? \n');
  });
});

describe('pipeOutput: colour', () => {
  it('colours the prefix per process and the stderr marker red with `color: true`', async () => {
    const pm = manager();
    const sink = new Sink();
    pm.pipeOutput(sink, { color: true, names: ['one', 'two'] });
    await pm.run(say('one', 'o:hello'));
    await pm.run(say('two', 'e:oops'));
    const [hello, oops] = sink.lines;
    // Palette by index: cyan for the first, magenta for the second; the text itself is untouched.
    expect(hello).toBe(`${ESC}36m[one]${ESC}39m  hello`);
    expect(oops).toBe(`${ESC}35m[two]${ESC}39m${ESC}1m${ESC}31m!${ESC}39m${ESC}22m oops`);
  });

  it("decides `'auto'` from FORCE_COLOR, NO_COLOR and the stream's isTTY", () => {
    const tty = { isTTY: true };
    const file = {};
    expect(colorEnabled('auto', tty, {})).toBe(true);
    expect(colorEnabled('auto', file, {})).toBe(false);
    expect(colorEnabled('auto', tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled('auto', tty, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled('auto', file, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled('auto', file, { FORCE_COLOR: '' })).toBe(true);
    expect(colorEnabled('auto', tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled('auto', tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colorEnabled('auto', file, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colorEnabled(true, file, { NO_COLOR: '1' })).toBe(true);
    expect(colorEnabled(false, tty, { FORCE_COLOR: '1' })).toBe(false);
  });
});

describe('pipeOutput: which lines, and for how long', () => {
  it('writes only the processes in `names`', async () => {
    const pm = manager();
    const sink = new Sink();
    pm.pipeOutput(sink, { names: ['shown', 'not-yet-there'] });
    await pm.run(say('hidden', 'o:secret'));
    await pm.run(say('shown', 'o:visible'));
    expect(sink.lines).toEqual([`${'[shown]'.padEnd('[not-yet-there]'.length)}  visible`]);
  });

  it('stops writing once detached; detaching twice is harmless', async () => {
    const pm = manager();
    const sink = new Sink();
    const detach = pm.pipeOutput(sink);
    await pm.run(say('a', 'o:before'));
    detach();
    detach();
    await pm.run(say('a', 'o:after'));
    expect(sink.lines).toEqual(['[a]  before']);
    expect(pm.listenerCount('output')).toBe(0);
  });

  it('detaches from a stream that errors, without crashing the host', async () => {
    const pm = manager();
    const sink = new Sink(true);
    pm.pipeOutput(sink);
    const failed = new Promise((resolve) => sink.once('close', resolve));
    await pm.run(say('a', 'o:one'));
    await failed;
    await pm.run(say('a', 'o:two', 'o:three'));
    expect(sink.writes).toBe(1);
    expect(pm.listenerCount('output')).toBe(0);
    expect(sink.listenerCount('error')).toBe(0);
  });

  it('detaches from a stream that has ended or was destroyed, writing nothing to it', async () => {
    const pm = manager();
    const ended = new Sink();
    ended.end();
    const destroyed = new Sink();
    destroyed.destroy();
    pm.pipeOutput(ended);
    pm.pipeOutput(destroyed);
    await pm.run(say('a', 'o:one'));
    expect([ended.writes, destroyed.writes]).toEqual([0, 0]);
    expect(pm.listenerCount('output')).toBe(0);
  });

  it('rejects bad arguments with an InvalidArgumentError naming the field', () => {
    const pm = manager();
    const sink = new Sink();
    const error = (fn: () => unknown): InvalidArgumentError => {
      try {
        fn();
      } catch (caught) {
        expect(caught).toBeInstanceOf(InvalidArgumentError);
        return caught as InvalidArgumentError;
      }
      throw new Error('expected an InvalidArgumentError');
    };
    expect(error(() => pm.pipeOutput(sink, { prefix: '[{nmae}]' })).message).toMatch(/`prefix`.*`\{nmae\}` is not one of them/);
    expect(error(() => pm.pipeOutput(sink, { color: 'yes' as never })).path).toBe('color');
    expect(error(() => pm.pipeOutput(sink, { names: 'a' as never })).path).toBe('names');
    expect(error(() => pm.pipeOutput(sink, { timestamp: true } as never)).message).toMatch(/did you mean `timestamps`/);
    expect(error(() => pm.pipeOutput({} as never)).path).toBe('stream');
    expect(pm.listenerCount('output')).toBe(0);
  });
});
