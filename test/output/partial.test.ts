/**
 * Output that does not end its line (a prompt, a progress bar redrawn with `\r`): the splitter's
 * flush, the one flush timer per process on the injected clock, and the `partial` lines that reach
 * `output` listeners and `handle.logs()` from real children, masked. Complete lines are unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TUNING } from '../../src/api/tuning.js';
import { ProcessManager } from '../../src/index.js';
import type { Clock, OutputEvent } from '../../src/index.js';
import { LineSplitter, PartialFlusher, truncationMarker, type PartialSource } from '../../src/output/lines.js';
import { FakeClock } from '../clock.js';
import { track, until } from '../helpers.js';
import { nodeSpec, payloads, record } from '../manager/support.js';

const INTERVAL = TUNING.partialFlushInterval;

/** What a splitter emitted: complete lines as text, flushed text as `{ partial }`. */
type Emitted = string | { partial: string };

function splitter(out: Emitted[], max?: number): LineSplitter {
  return new LineSplitter((line) => out.push(line), max);
}

function flushInto(s: LineSplitter, out: Emitted[]): void {
  const text = s.flush();
  if (text !== undefined) out.push({ partial: text });
}

describe('LineSplitter.flush', () => {
  it('takes the unended text as it is; the rest of the line is a line of its own', () => {
    const out: Emitted[] = [];
    const s = splitter(out);
    s.push('progress 10%');
    expect(s.hasPartial).toBe(true);
    flushInto(s, out);
    expect(s.hasPartial).toBe(false);
    s.push('\r20%\n');
    expect(out).toEqual([{ partial: 'progress 10%' }, '\r20%']);
  });

  it('a line end right after a flush adds no empty line (\\n or \\r\\n, in one chunk with more lines or alone)', () => {
    const out: Emitted[] = [];
    const s = splitter(out);
    s.push('Name: ');
    flushInto(s, out);
    s.push('\nnext\n');
    s.push('abc\r');
    flushInto(s, out);
    s.push('\n');
    s.push('\n');
    expect(out).toEqual([{ partial: 'Name: ' }, 'next', { partial: 'abc\r' }, '']);
  });

  it('flushes again when the rest stays unended too; nothing waits → undefined', () => {
    const out: Emitted[] = [];
    const s = splitter(out);
    expect(s.flush()).toBeUndefined();
    s.push('a');
    flushInto(s, out);
    s.push('\rb');
    flushInto(s, out);
    expect(s.flush()).toBeUndefined();
    s.push('\rc\n');
    s.end();
    expect(out).toEqual([{ partial: 'a' }, { partial: '\rb' }, '\rc']);
  });

  it('never splits a character: an incomplete one goes with the rest', () => {
    const out: Emitted[] = [];
    const s = splitter(out);
    const bytes = Buffer.from('ab€cd\n');
    s.push(bytes.subarray(0, 3)); // `ab` and the first byte of `€`
    flushInto(s, out);
    s.push(bytes.subarray(3));
    expect(out).toEqual([{ partial: 'ab' }, '€cd']);
  });

  it('a line cut at maxLineBytes is flushed with its marker', () => {
    const out: Emitted[] = [];
    const s = splitter(out, 8);
    s.push('0123456789ab');
    flushInto(s, out);
    s.push('tail\n');
    expect(out).toEqual([{ partial: `01234567${truncationMarker(4)}` }, 'tail']);
  });

  it('end() after a flush emits only what came since', () => {
    const out: Emitted[] = [];
    const s = splitter(out);
    s.push('x');
    flushInto(s, out);
    s.end();
    s.push('y');
    s.end();
    expect(out).toEqual([{ partial: 'x' }, 'y']);
  });

  it('loses and repeats no character, whatever the chunks and the flushes (property)', () => {
    const alphabet = fc.constantFrom('a', 'é', '€', '𝄞', '\n', '\r', ' ');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), fc.array(fc.tuple(fc.nat(80), fc.boolean()), { maxLength: 10 }), (chars, cuts) => {
        const bytes = Buffer.from(chars.join(''));
        const points = [...new Set(cuts.map(([at]) => Math.min(at, bytes.length)))].sort((a, b) => a - b);
        const flushAt = new Set(cuts.filter(([, flush]) => flush).map(([at]) => Math.min(at, bytes.length)));
        const out: Emitted[] = [];
        const s = splitter(out);
        let from = 0;
        for (const at of [...points, bytes.length]) {
          s.push(bytes.subarray(from, at));
          from = at;
          if (flushAt.has(at)) flushInto(s, out);
        }
        s.end();
        const text = out.map((e) => (typeof e === 'string' ? e : e.partial)).join('');
        expect(text.replace(/[\r\n]/g, '')).toBe(chars.join('').replace(/[\r\n]/g, ''));
        // Without a flush, the lines are exactly those of the splitter alone.
        if (flushAt.size === 0) expect(out.every((e) => typeof e === 'string')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

/** A clock that counts the timers set on it. */
function counting(clock: FakeClock): Clock & { set: number } {
  const counter = {
    set: 0,
    now: () => clock.now(),
    setTimeout: (fn: () => void, ms: number) => {
      counter.set++;
      return clock.setTimeout(fn, ms);
    },
    clearTimeout: (timer: unknown) => clock.clearTimeout(timer),
  };
  return counter;
}

describe('PartialFlusher', () => {
  function setup(streams = 1): { clock: FakeClock; counter: Clock & { set: number }; flusher: PartialFlusher; out: Emitted[][]; push: ((text: string) => void)[] } {
    const clock = new FakeClock(1_000);
    const counter = counting(clock);
    const flusher = new PartialFlusher(counter, INTERVAL);
    const out: Emitted[][] = [];
    const push: ((text: string) => void)[] = [];
    for (let i = 0; i < streams; i++) {
      const lines: Emitted[] = [];
      const source: PartialSource = { splitter: splitter(lines), partial: (text) => lines.push({ partial: text }), since: undefined, generation: 0 };
      flusher.watch(source);
      out.push(lines);
      push.push((text) => {
        source.splitter.push(text);
        flusher.pushed(source, clock.now());
      });
    }
    return { clock, counter, flusher, out, push };
  }

  it('complete lines never touch the clock', () => {
    const { counter, out, push } = setup();
    for (let i = 0; i < 1000; i++) push[0]?.(`line ${i}\nline ${i}b\n`);
    expect(counter.set).toBe(0);
    expect(out[0]).toHaveLength(2000);
  });

  it('flushes unended text once it has waited the interval, counted from when it began', async () => {
    const { clock, counter, out, push } = setup();
    push[0]?.('progress 10%');
    expect(clock.pending).toBe(1);
    expect(clock.nextDue).toBe(1_000 + INTERVAL);
    await clock.advance(INTERVAL / 2);
    push[0]?.(' and more');
    expect(counter.set).toBe(1);
    await clock.advance(INTERVAL / 2 - 1);
    expect(out[0]).toEqual([]);
    await clock.advance(1);
    expect(out[0]).toEqual([{ partial: 'progress 10% and more' }]);
    expect(clock.pending).toBe(0);
  });

  it('a line end before the interval clears the timer: one whole line, no partial', async () => {
    const { clock, out, push } = setup();
    push[0]?.('abc');
    expect(clock.pending).toBe(1);
    push[0]?.('def\n');
    expect(clock.pending).toBe(0);
    await clock.advance(INTERVAL * 3);
    expect(out[0]).toEqual(['abcdef']);
  });

  it('new unended text after a line end waits its own full interval, on the timer already armed', async () => {
    const { clock, counter, out, push } = setup();
    push[0]?.('abc');
    await clock.advance(60);
    push[0]?.('\nxyz');
    expect(clock.pending).toBe(1);
    expect(counter.set).toBe(1);
    // The timer armed for `abc` fires, finds `xyz` too young, and re-arms for it.
    await clock.advance(INTERVAL - 1);
    expect(out[0]).toEqual(['abc']);
    expect(clock.pending).toBe(1);
    expect(clock.nextDue).toBe(1_000 + 60 + INTERVAL);
    await clock.advance(1);
    expect(out[0]).toEqual(['abc', { partial: 'xyz' }]);
    expect(clock.pending).toBe(0);
  });

  it('a fast stream whose chunks all end mid-line sets one timer per interval, and never splits a line', async () => {
    const { clock, counter, out, push } = setup();
    for (let i = 0; i < 1000; i++) {
      push[0]?.(`${i}\n${i}-`);
      await clock.advance(1);
    }
    expect(counter.set).toBeLessThanOrEqual(1000 / INTERVAL + 1);
    expect(out[0]?.every((e) => typeof e === 'string')).toBe(true);
    expect(out[0]).toHaveLength(1000);
  });

  it('one timer for all streams; each text flushed when its own wait is over', async () => {
    const { clock, out, push } = setup(2);
    push[0]?.('out');
    await clock.advance(40);
    push[1]?.('err');
    expect(clock.pending).toBe(1);
    await clock.advance(INTERVAL - 40);
    expect(out).toEqual([[{ partial: 'out' }], []]);
    expect(clock.pending).toBe(1);
    await clock.advance(40);
    expect(out).toEqual([[{ partial: 'out' }], [{ partial: 'err' }]]);
    expect(clock.pending).toBe(0);
  });

  it('stop() clears the timer and later chunks arm none', async () => {
    const { clock, flusher, out, push } = setup();
    push[0]?.('half');
    flusher.stop();
    expect(clock.pending).toBe(0);
    push[0]?.('\nmore');
    expect(clock.pending).toBe(0);
    await clock.advance(INTERVAL * 2);
    expect(out[0]).toEqual(['half']);
  });
});

describe('partial lines from a real process', () => {
  function setup(extra: { output?: { mask: string[] } } = {}) {
    const clock = new FakeClock(Date.now());
    const pm = track(new ProcessManager({ clock }));
    const seen = record(pm, ['output']);
    const outputs = (): OutputEvent[] => payloads(seen, 'output');
    return { clock, pm, outputs, extra };
  }

  /** io-relay.mjs writes each JSON value the test sends as it is: the test decides where lines end. */
  async function relay(pm: ProcessManager, extra: { output?: { mask: string[] } } = {}) {
    const handle = await pm.start(nodeSpec('bar', 'io-relay.mjs', [], { stdin: 'pipe', restart: 'never', ...extra }));
    return { handle, say: (value: unknown) => handle.write(`${JSON.stringify(value)}\n`) };
  }

  it('a progress bar: the text so far within the flush interval, marked partial, then the remainder as a line', async () => {
    const { clock, pm, outputs } = setup();
    const { handle, say } = await relay(pm);
    await say('progress 10%');
    await until(() => clock.pending === 1, 5000, 'the flush timer');
    const armedAt = clock.now();
    expect(clock.nextDue).toBe(armedAt + INTERVAL);
    await clock.advance(INTERVAL - 1);
    expect(outputs()).toEqual([]);
    await clock.advance(1);
    expect(outputs()).toEqual([{ name: 'bar', path: ['bar'], pid: handle.pid, stream: 'stdout', line: 'progress 10%', partial: true, time: armedAt + INTERVAL }]);
    expect(clock.pending).toBe(0);

    await say('\r20%\n');
    await until(() => outputs().length === 2, 5000, 'the rest of the line');
    const rest = outputs()[1] as OutputEvent;
    expect(rest).toMatchObject({ stream: 'stdout', line: '\r20%' });
    expect('partial' in rest).toBe(false);
    expect(clock.pending).toBe(0);
    expect(handle.logs()).toEqual([
      { stream: 'stdout', line: 'progress 10%', time: armedAt + INTERVAL, partial: true },
      { stream: 'stdout', line: '\r20%', time: clock.now() },
    ]);
    await pm.stop('bar');
  });

  it('stderr too: each line with its chunk time, unended text flushed as partial, a last line without its end a line', async () => {
    const { clock, pm, outputs } = setup();
    const handle = await pm.start(nodeSpec('both', 'io-streams.mjs', [], { stdin: 'pipe', restart: 'never' }));
    const say = (value: unknown): Promise<void> => handle.write(`${JSON.stringify(value)}\n`);
    await say({ out: 'one\n' });
    await until(() => outputs().length === 1, 5000, 'the stdout line');
    const firstAt = clock.now();
    await clock.advance(5);
    await say({ err: 'prompt> ' });
    await until(() => clock.pending === 1, 5000, 'the flush timer');
    const armedAt = clock.now();
    await clock.advance(INTERVAL);
    await say({ err: 'typed' });
    await say(null);
    await until(() => outputs().length === 3, 5000, 'the last stderr line');
    expect(outputs().map(({ stream, line, partial, time }) => ({ stream, line, partial, time }))).toEqual([
      { stream: 'stdout', line: 'one', partial: undefined, time: firstAt },
      { stream: 'stderr', line: 'prompt> ', partial: true, time: armedAt + INTERVAL },
      { stream: 'stderr', line: 'typed', partial: undefined, time: armedAt + INTERVAL },
    ]);
    expect(clock.pending).toBe(0);
  });

  it('a line ended within the interval is one line, and no timer is left', async () => {
    const { clock, pm, outputs } = setup();
    const { say } = await relay(pm);
    await say('half');
    await until(() => clock.pending === 1, 5000, 'the flush timer');
    await say(' and whole\nnext\n');
    await until(() => outputs().length === 2, 5000, 'the lines');
    expect(clock.pending).toBe(0);
    await clock.advance(INTERVAL * 2);
    expect(outputs().map((e) => [e.line, e.partial])).toEqual([
      ['half and whole', undefined],
      ['next', undefined],
    ]);
    await pm.stop('bar');
  });

  it('a redraw that stays unended is partial again; the line end after it adds nothing', async () => {
    const { clock, pm, outputs } = setup();
    const { handle, say } = await relay(pm);
    for (const [i, text] of ['10%', '\r20%'].entries()) {
      await say(text);
      await until(() => clock.pending === 1, 5000, `the flush timer of ${JSON.stringify(text)}`);
      await clock.advance(INTERVAL);
      await until(() => outputs().length === i + 1, 5000, 'the partial line');
    }
    await say('\ndone\n');
    await until(() => outputs().length === 3, 5000, 'the last line');
    expect(handle.logs().map((l) => [l.line, l.partial])).toEqual([
      ['10%', true],
      ['\r20%', true],
      ['done', undefined],
    ]);
    await pm.stop('bar');
  });

  it('partial lines are masked like whole ones', async () => {
    const { clock, pm, outputs } = setup();
    const { handle, say } = await relay(pm, { output: { mask: ['hunter2'] } });
    await say('password: hunter2');
    await until(() => clock.pending === 1, 5000, 'the flush timer');
    await clock.advance(INTERVAL);
    expect(outputs().map((e) => e.line)).toEqual(['password: ***']);
    expect(handle.logs().map((l) => l.line)).toEqual(['password: ***']);
    await pm.stop('bar');
  });

  it('the timer ends with the incarnation, even while a descendant holds the pipe open', async () => {
    const { clock, pm, outputs } = setup();
    const { handle, say } = await relay(pm);
    await say('bye');
    await until(() => clock.pending === 1, 5000, 'the flush timer');
    // The exit is known before the pipe can close: a grandchild holds it until the group is killed.
    const pendingAtExit = new Promise<number>((resolve) => pm.once('exit', () => resolve(clock.pending)));
    await say({ hold: true });
    expect(await pendingAtExit).toBe(0);
    await handle.waitFor('exited', { timeout: 10_000 });
    // The unended text comes once, as the last line, when the pipe closes.
    await until(() => outputs().length === 1, 5000, 'the last line');
    await clock.advance(INTERVAL * 2);
    expect(outputs().map((e) => [e.line, e.partial])).toEqual([['bye', undefined]]);
    expect(clock.pending).toBe(0);
  });
});
