import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedWatch } from '../../src/spec/resolved.js';
import { createWatcher, type Watcher } from '../../src/watch/watcher.js';
import { FakeClock } from '../clock.js';
import { until } from '../helpers.js';

let dir: string;
const open: Watcher[] = [];

/** Live fs.watch handles of this process; a closed one goes away on the next turn of the loop. */
const watchHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;

beforeEach(() => {
  // realpath: on some systems the temp dir is a symlink, and reported paths are resolved ones.
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'procvisor-watch-')));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
  rmSync(dir, { recursive: true, force: true });
  // Every test leaves no watch handle behind once its watchers are closed.
  await until(() => watchHandles() === 0, 2000, 'the watch handles to close');
});

const spec = (paths: string[], extra: Partial<ResolvedWatch> = {}): ResolvedWatch => ({ paths, ignore: [], debounce: 100, action: 'restart', ...extra });

/** Starts a watcher recording its batches, and waits until it watches. */
async function watching(s: ResolvedWatch, cwd: string | undefined = dir, clock?: FakeClock): Promise<{ batches: string[][]; watcher: Watcher }> {
  const batches: string[][] = [];
  const watcher = createWatcher(s, cwd, (paths) => batches.push([...paths].sort()), clock ? { clock } : {});
  open.push(watcher);
  await watcher.ready;
  return { batches, watcher };
}

const write = (name: string, text = String(Date.now())): void => {
  writeFileSync(join(dir, name), text);
};

describe('createWatcher', () => {
  it('reports a burst of changes once, as one batch of absolute paths, and nothing that existed before', async () => {
    write('a.txt');
    write('b.txt');
    const { batches } = await watching(spec(['.']));
    write('a.txt', 'changed');
    write('b.txt', 'changed');
    write('c.txt');
    await until(() => batches.length >= 1, 10_000, 'the first batch');
    expect(batches[0]).toEqual([join(dir, 'a.txt'), join(dir, 'b.txt'), join(dir, 'c.txt')]);
    // A sentinel change later: the next batch holds only it, so the burst was not reported twice.
    write('sentinel.txt');
    await until(() => batches.length >= 2, 10_000, 'the sentinel batch');
    expect(batches).toHaveLength(2);
    expect(batches[1]).toEqual([join(dir, 'sentinel.txt')]);
  });

  it('waits for quiet: changes closer than `debounce` stay in one batch', async () => {
    const clock = new FakeClock();
    const { batches } = await watching(spec(['.'], { debounce: 800 }), dir, clock);
    write('one.txt');
    // Seen: the debounce timer is armed.
    await until(() => clock.pending === 1, 10_000, 'the first change');
    await clock.advance(500);
    write('two.txt');
    // Seen too: the timer moved to 800 ms after it.
    await until(() => clock.nextDue === clock.now() + 800, 10_000, 'the second change');
    await clock.advance(799);
    expect(batches).toEqual([]);
    await clock.advance(1);
    expect(batches).toEqual([[join(dir, 'one.txt'), join(dir, 'two.txt')]]);
    expect(clock.pending).toBe(0);
  });

  it('never reports ignored paths: by name, by path and by RegExp', async () => {
    mkdirSync(join(dir, 'tmp'));
    mkdirSync(join(dir, 'node_modules'));
    const { batches } = await watching(spec(['.'], { ignore: ['*.log', 'tmp', 'node_modules', /\.swp$/] }));
    write('server.log');
    write('tmp/scratch.txt');
    write('node_modules/dep.js');
    write('main.js.swp');
    write('main.js');
    await until(() => batches.length >= 1, 10_000, 'the batch');
    expect(batches).toEqual([[join(dir, 'main.js')]]);
  });

  it('reports only what a glob matches, below its base, relative to `cwd`', async () => {
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    const { batches } = await watching(spec(['src/**/*.ts']));
    write('src/a.js');
    write('top.ts');
    write('src/a.ts');
    write('src/deep/b.ts');
    await until(() => batches.length >= 1, 10_000, 'the batch');
    expect(batches[0]).toEqual([join(dir, 'src/a.ts'), join(dir, 'src/deep/b.ts')]);
  });

  it('watches a single file', async () => {
    write('config.json', '{}');
    write('other.json', '{}');
    const { batches } = await watching(spec(['config.json']));
    write('other.json', '{"a":1}');
    write('config.json', '{"a":1}');
    await until(() => batches.length >= 1, 10_000, 'the batch');
    expect(batches[0]).toEqual([join(dir, 'config.json')]);
  });

  it('picks up paths that do not exist yet, and keeps watching them after they appear', async () => {
    write('unrelated.txt');
    const { batches } = await watching(spec(['later', 'gen/**/*.js', 'config.json'], { debounce: 400 }));
    mkdirSync(join(dir, 'later'));
    write('later/x.txt');
    mkdirSync(join(dir, 'gen', 'a'), { recursive: true });
    write('gen/a/y.js');
    write('config.json');
    await until(() => batches.length >= 1, 10_000, 'the first batch');
    expect(batches[0]).toEqual([join(dir, 'config.json'), join(dir, 'gen/a/y.js'), join(dir, 'later'), join(dir, 'later/x.txt')]);
    write('unrelated.txt', 'changed');
    write('later/x.txt', 'changed');
    write('gen/a/y.js', 'changed');
    await until(() => batches.length >= 2, 10_000, 'the second batch');
    expect(batches[1]).toEqual([join(dir, 'gen/a/y.js'), join(dir, 'later/x.txt')]);
  });

  it('close() drops a pending batch, reports nothing after, and leaves no watch handles', async () => {
    const clock = new FakeClock();
    const { batches, watcher } = await watching(spec(['.'], { debounce: 200 }), dir, clock);
    expect(watchHandles()).toBeGreaterThan(0);
    write('pending.txt');
    // The change is seen (the debounce timer runs) before closing.
    await until(() => clock.pending === 1, 10_000, 'the change');
    await watcher.close();
    await watcher.close();
    expect(clock.pending).toBe(0);
    write('after.txt');
    // No watch handle and no timer left: nothing can report anything any more, however long we wait.
    await until(() => watchHandles() === 0, 2000, 'the watch handles to close');
    await clock.advance(60_000);
    expect(batches).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('close() during the start leaves nothing behind', async () => {
    const watcher = createWatcher(spec(['.']), dir, () => {});
    await watcher.close();
    await watcher.ready;
    await until(() => watchHandles() === 0, 2000, 'the watch handles to close');
  });

  it('hands an error thrown by onChange to onError', async () => {
    const errors: Error[] = [];
    const watcher = createWatcher(spec(['.'], { debounce: 20 }), dir, () => {
      throw new Error('listener broke');
    }, { onError: (e) => errors.push(e) });
    open.push(watcher);
    await watcher.ready;
    write('x.txt');
    await until(() => errors.length > 0, 10_000, 'the error');
    expect(errors[0]?.message).toBe('listener broke');
  });
});
