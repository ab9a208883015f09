/**
 * `color` in a child's environment: `applyColor` and `childEnv` with an injected host terminal (both
 * branches of `'auto'`), then through the manager with real children, the spec's `env` winning.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessManager } from '../../src/index.js';
import type { ColorMode, Handle } from '../../src/index.js';
import { applyColor, childEnv, type HostTerminal } from '../../src/os/spawn.js';
import { track, until } from '../helpers.js';
import { nodeSpec } from '../manager/support.js';

const TTY: HostTerminal = { isTTY: true, env: {} };
const PIPE: HostTerminal = { isTTY: false, env: {} };

/** The colour variables of `env`. */
function colorVars(env: NodeJS.ProcessEnv): { FORCE_COLOR: string | undefined; NO_COLOR: string | undefined } {
  return { FORCE_COLOR: env.FORCE_COLOR, NO_COLOR: env.NO_COLOR };
}

function applied(color: ColorMode | undefined, start: NodeJS.ProcessEnv, host: HostTerminal): NodeJS.ProcessEnv {
  const env = { ...start };
  applyColor(env, color, host);
  return env;
}

describe('applyColor', () => {
  it('true forces colour and drops NO_COLOR; false does the opposite', () => {
    expect(applied(true, { NO_COLOR: '1', OTHER: 'x' }, PIPE)).toEqual({ FORCE_COLOR: '1', OTHER: 'x' });
    expect(applied(false, { FORCE_COLOR: '3', OTHER: 'x' }, TTY)).toEqual({ NO_COLOR: '1', OTHER: 'x' });
  });

  it("'auto' forces colour only when the host's stdout is a terminal and the host has no NO_COLOR", () => {
    expect(colorVars(applied('auto', { NO_COLOR: '1' }, TTY))).toEqual({ FORCE_COLOR: '1', NO_COLOR: undefined });
    // An empty NO_COLOR does not count (no-color.org).
    expect(colorVars(applied('auto', {}, { isTTY: true, env: { NO_COLOR: '' } }))).toEqual({ FORCE_COLOR: '1', NO_COLOR: undefined });
    expect(applied('auto', { FORCE_COLOR: '0' }, { isTTY: true, env: { NO_COLOR: '1' } })).toEqual({ FORCE_COLOR: '0' });
    expect(applied('auto', { NO_COLOR: '1', FORCE_COLOR: '2' }, PIPE)).toEqual({ NO_COLOR: '1', FORCE_COLOR: '2' });
  });

  it('undefined leaves the environment as it is', () => {
    expect(applied(undefined, { NO_COLOR: '1', FORCE_COLOR: '2' }, TTY)).toEqual({ NO_COLOR: '1', FORCE_COLOR: '2' });
  });
});

describe('childEnv with color', () => {
  const base = { env: {}, extendEnv: false, ipc: false } as const;

  it("applies color under the spec's env, which wins", () => {
    expect(colorVars(childEnv({ ...base, color: 'auto' }, undefined, undefined, TTY))).toEqual({ FORCE_COLOR: '1', NO_COLOR: undefined });
    expect(colorVars(childEnv({ ...base, color: 'auto' }, undefined, undefined, PIPE))).toEqual({ FORCE_COLOR: undefined, NO_COLOR: undefined });
    expect(colorVars(childEnv({ ...base, color: true, env: { FORCE_COLOR: '3' } }, undefined, undefined, PIPE))).toEqual({
      FORCE_COLOR: '3',
      NO_COLOR: undefined,
    });
    expect(colorVars(childEnv({ ...base, color: false, env: { FORCE_COLOR: '2', NO_COLOR: undefined } }, undefined, undefined, TTY))).toEqual({
      FORCE_COLOR: '2',
      NO_COLOR: undefined,
    });
  });
});

describe('color through the manager', () => {
  const saved = { FORCE_COLOR: process.env.FORCE_COLOR, NO_COLOR: process.env.NO_COLOR };

  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  /** Starts echo-env.mjs with `color` (and `env`) and resolves with what it reported. */
  async function reported(pm: ProcessManager, name: string, color: ColorMode | undefined, env?: Record<string, string | undefined>): Promise<string[]> {
    const handle: Handle = await pm.start(
      nodeSpec(name, 'echo-env.mjs', ['FORCE_COLOR', 'NO_COLOR'], { ...(color === undefined ? {} : { color }), ...(env ? { env } : {}) }),
    );
    // stdout only: Node warns on stderr when a child has both variables.
    const out = (): string[] => handle.logs().filter((l) => l.stream === 'stdout').map((l) => l.line);
    await until(() => out().length >= 2, 5000, `the report of ${name}`);
    await pm.stop(name);
    return out();
  }

  it('true and false set and remove the variables in the child; the spec env wins', async () => {
    const pm = track(new ProcessManager());
    process.env.FORCE_COLOR = '2';
    process.env.NO_COLOR = '1';
    expect(await reported(pm, 'on', true)).toEqual(['FORCE_COLOR=1', 'NO_COLOR is unset']);
    expect(await reported(pm, 'off', false)).toEqual(['FORCE_COLOR is unset', 'NO_COLOR=1']);
    expect(await reported(pm, 'kept', undefined)).toEqual(['FORCE_COLOR=2', 'NO_COLOR=1']);
    expect(await reported(pm, 'mine', true, { FORCE_COLOR: '3' })).toEqual(['FORCE_COLOR=3', 'NO_COLOR is unset']);
    expect(await reported(pm, 'quiet', false, { NO_COLOR: undefined })).toEqual(['FORCE_COLOR is unset', 'NO_COLOR is unset']);
  });

  it("'auto' under a host whose stdout is not a terminal leaves the environment alone", async () => {
    const pm = track(new ProcessManager());
    delete process.env.NO_COLOR;
    process.env.FORCE_COLOR = '0';
    // The test runner's stdout is a pipe; should it ever be a terminal, 'auto' must force colour.
    const expected = process.stdout.isTTY === true ? ['FORCE_COLOR=1', 'NO_COLOR is unset'] : ['FORCE_COLOR=0', 'NO_COLOR is unset'];
    expect(await reported(pm, 'auto', 'auto')).toEqual(expected);
  });
});
