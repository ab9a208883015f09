/**
 * The settings of `procvisor start`: defaults < config file < environment < flags, one pure
 * function. Each layer is shown beating the one below it, and malformed values named by source.
 */
import { describe, expect, it } from 'vitest';
import { mergeSettings, SETTINGS } from '../../src/cli/config/merge.js';

describe('mergeSettings', () => {
  it('defaults: sampling every second, 10 MB log files, 5 kept; signals and the loop are the command\'s', () => {
    const merged = mergeSettings({ env: {}, flags: {} });
    expect(merged.manager).toEqual({ sampling: { interval: '1s' }, handleSignals: false, keepAlive: true });
    expect(merged.logDir).toBeUndefined();
    expect(merged.logMaxSize).toBe(10_000_000);
    expect(merged.logFiles).toBe(5);
    expect(merged.issues).toEqual([]);
    expect(merged.sources).toEqual({ restart: 'default', startTimeout: 'default', shutdownTimeout: 'default', sampling: 'default', logDir: 'default', logMaxSize: 'default', logFiles: 'default' });
  });

  it('the file beats the defaults, and keeps what the settings do not touch', () => {
    const file = { restart: 'transient', startTimeout: '10s', shutdown: { signal: 'SIGINT', timeout: 2000 }, sampling: false, orphans: 'kill' };
    const merged = mergeSettings({ file, env: {}, flags: {} });
    expect(merged.manager).toEqual({ ...file, handleSignals: false, keepAlive: true });
    expect(merged.sources).toMatchObject({ restart: 'file', startTimeout: 'file', shutdownTimeout: 'file', sampling: 'file' });
    // The caller's object is not changed.
    expect(file).not.toHaveProperty('handleSignals');
  });

  it('the environment beats the file', () => {
    const merged = mergeSettings({
      file: { restart: 'transient', startTimeout: '10s', shutdown: { signal: 'SIGINT', timeout: 2000 }, sampling: { interval: '5s', history: 10 } },
      env: { PROCVISOR_RESTART: 'never', PROCVISOR_START_TIMEOUT: '20s', PROCVISOR_SHUTDOWN_TIMEOUT: '3000', PROCVISOR_SAMPLING: '2s', PROCVISOR_LOG_DIR: 'logs', PROCVISOR_LOG_MAX_SIZE: '1MiB', PROCVISOR_LOG_FILES: '2' },
      flags: {},
    });
    expect(merged.manager).toEqual({
      restart: 'never',
      startTimeout: '20s',
      // The file's signal stays; the timeout is the variable's.
      shutdown: { signal: 'SIGINT', timeout: '3000' },
      sampling: { interval: '2s', history: 10 },
      handleSignals: false,
      keepAlive: true,
    });
    expect([merged.logDir, merged.logMaxSize, merged.logFiles]).toEqual(['logs', 1024 * 1024, 2]);
    expect(merged.sources).toEqual({
      restart: 'env PROCVISOR_RESTART',
      startTimeout: 'env PROCVISOR_START_TIMEOUT',
      shutdownTimeout: 'env PROCVISOR_SHUTDOWN_TIMEOUT',
      sampling: 'env PROCVISOR_SAMPLING',
      logDir: 'env PROCVISOR_LOG_DIR',
      logMaxSize: 'env PROCVISOR_LOG_MAX_SIZE',
      logFiles: 'env PROCVISOR_LOG_FILES',
    });
  });

  it('flags beat the environment', () => {
    const merged = mergeSettings({
      file: { restart: 'transient', shutdown: 'kill' },
      env: { PROCVISOR_RESTART: 'never', PROCVISOR_SHUTDOWN_TIMEOUT: '3s', PROCVISOR_SAMPLING: '2s', PROCVISOR_LOG_DIR: 'env-logs', PROCVISOR_LOG_FILES: '2' },
      flags: { restart: 'temporary', shutdownTimeout: '9s', sampling: 'off', logDir: 'flag-logs', logFiles: '7' },
    });
    // `'kill'` has no timeout to set: a timeout replaces it (SIGTERM first, the default signal).
    expect(merged.manager).toMatchObject({ restart: 'temporary', shutdown: { timeout: '9s' }, sampling: false });
    expect([merged.logDir, merged.logFiles]).toEqual(['flag-logs', 7]);
    expect(merged.sources).toMatchObject({ restart: 'flag --restart', shutdownTimeout: 'flag --shutdown-timeout', sampling: 'flag --sampling', logDir: 'flag --log-dir', logFiles: 'flag --log-files' });
  });

  it('an empty variable counts as unset', () => {
    const merged = mergeSettings({ file: { restart: 'transient' }, env: { PROCVISOR_RESTART: '' }, flags: {} });
    expect(merged.manager.restart).toBe('transient');
    expect(merged.sources.restart).toBe('file');
  });

  it('names a malformed variable or flag by its name; the setting keeps the layer below', () => {
    const merged = mergeSettings({
      file: { startTimeout: '10s' },
      env: { PROCVISOR_RESTART: 'sometimes', PROCVISOR_START_TIMEOUT: 'soon', PROCVISOR_LOG_FILES: '0' },
      flags: { sampling: 'often', logMaxSize: 'big' },
    });
    expect(merged.issues.map((i) => i.path)).toEqual(['PROCVISOR_RESTART', 'PROCVISOR_START_TIMEOUT', '--sampling', '--log-max-size', 'PROCVISOR_LOG_FILES']);
    expect(merged.issues[0]?.message).toMatch(/one of permanent, transient, temporary, never, got `sometimes`/);
    expect(merged.manager).toMatchObject({ startTimeout: '10s', sampling: { interval: '1s' } });
    expect(merged.manager).not.toHaveProperty('restart');
  });

  it('a malformed file value is left for validation, never hidden', () => {
    expect(mergeSettings({ file: { handleSignals: 'yes', keepAlive: 0 }, env: {}, flags: {} }).manager).toMatchObject({ handleSignals: 'yes', keepAlive: 0 });
  });

  it('every setting has a variable and a flag', () => {
    expect(SETTINGS.map((s) => [s.env, s.flag])).toEqual([
      ['PROCVISOR_RESTART', '--restart'],
      ['PROCVISOR_START_TIMEOUT', '--start-timeout'],
      ['PROCVISOR_SHUTDOWN_TIMEOUT', '--shutdown-timeout'],
      ['PROCVISOR_SAMPLING', '--sampling'],
      ['PROCVISOR_LOG_DIR', '--log-dir'],
      ['PROCVISOR_LOG_MAX_SIZE', '--log-max-size'],
      ['PROCVISOR_LOG_FILES', '--log-files'],
    ]);
  });
});
