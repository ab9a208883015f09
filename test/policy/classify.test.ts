import { describe, expect, it } from 'vitest';
import { classifyExit, decideRestart } from '../../src/policy/classify.js';
import type { ExitClass, RestartType, Signal } from '../../src/api/types.js';

describe('classifyExit (SEMANTICS: exit classification)', () => {
  it.each<[number | null, Signal | null, number[], ExitClass]>([
    [0, null, [0], 'normal'],
    [3, null, [0, 3], 'normal'],
    [0, null, [3], 'normal'], // 0 always counts; successExitCodes adds codes
    [1, null, [0], 'abnormal'],
    [255, null, [0], 'abnormal'],
    [null, 'SIGTERM', [0], 'shutdown'],
    [null, 'SIGINT', [0], 'shutdown'],
    [null, 'SIGHUP', [0], 'shutdown'],
    [null, 'SIGPIPE', [0], 'shutdown'],
    [null, 'SIGKILL', [0], 'abnormal'],
    [null, 'SIGSEGV', [0], 'abnormal'],
    [null, 'SIGABRT', [0], 'abnormal'],
    [null, 'SIGUSR1', [0], 'abnormal'],
    [null, null, [0], 'abnormal'],
  ])('code %j, signal %j, success %j → %s', (code, signal, success, expected) => {
    expect(classifyExit(code, signal, success)).toBe(expected);
  });
});

describe('decideRestart (SEMANTICS: restart types)', () => {
  it.each<[RestartType, ExitClass, string]>([
    ['permanent', 'normal', 'restart'],
    ['permanent', 'shutdown', 'restart'],
    ['permanent', 'abnormal', 'restart'],
    ['transient', 'normal', 'keep'],
    ['transient', 'shutdown', 'keep'],
    ['transient', 'abnormal', 'restart'],
    ['temporary', 'normal', 'remove'],
    ['temporary', 'shutdown', 'remove'],
    ['temporary', 'abnormal', 'remove'],
  ])('%s child, %s exit → %s', (restart, exitClass, expected) => {
    expect(decideRestart(restart, exitClass)).toBe(expected);
  });
});
