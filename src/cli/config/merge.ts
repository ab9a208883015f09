/**
 * The settings of `procvisor start`, merged in one order: defaults < config file < environment
 * (`PROCVISOR_*`) < command-line flags. A pure function: it reads nothing but its input, so the
 * order is unit-tested. What it merges is a small set of manager options (the config file's
 * `manager` object is the base) and the log-file settings, which only the command has.
 *
 * A process spec's own field still wins over these, as it wins over any manager default.
 */
import type { Duration, ManagerOptions, RestartType } from '../../api/types.js';
import { isPlainObject } from '../../spec/validate.js';
import { parseDuration, parseSize } from '../../util/units.js';
import type { ConfigIssue } from './issues.js';

/** The values of the setting flags as commander hands them over: text, unparsed. */
export interface SettingFlags {
  restart?: string | undefined;
  startTimeout?: string | undefined;
  shutdownTimeout?: string | undefined;
  sampling?: string | undefined;
  logDir?: string | undefined;
  logMaxSize?: string | undefined;
  logFiles?: string | undefined;
}

/** The key of one setting. */
export type SettingKey = keyof SettingFlags;

/** One setting: its variable, its flag, and what it sets. Documented in docs/cli.md. */
export interface SettingInfo {
  readonly key: SettingKey;
  readonly env: string;
  readonly flag: string;
  /** The flag's value placeholder, for `--help`. */
  readonly value: string;
  readonly description: string;
}

/** Every setting, in the order `--help` and docs/cli.md list them. */
export const SETTINGS: readonly SettingInfo[] = Object.freeze([
  { key: 'restart', env: 'PROCVISOR_RESTART', flag: '--restart', value: '<type>', description: "default restart type: permanent, transient, temporary or never (manager.restart; default 'permanent')" },
  { key: 'startTimeout', env: 'PROCVISOR_START_TIMEOUT', flag: '--start-timeout', value: '<duration>', description: "how long readiness may take (manager.startTimeout; default '30s')" },
  { key: 'shutdownTimeout', env: 'PROCVISOR_SHUTDOWN_TIMEOUT', flag: '--shutdown-timeout', value: '<duration>', description: "wait after the stop signal before SIGKILL (manager.shutdown.timeout; default '5s')" },
  { key: 'sampling', env: 'PROCVISOR_SAMPLING', flag: '--sampling', value: '<interval|off>', description: "resource sampling interval, or off (manager.sampling.interval; default '1s')" },
  { key: 'logDir', env: 'PROCVISOR_LOG_DIR', flag: '--log-dir', value: '<dir>', description: 'write each process\'s output to <dir>/<name>.log' },
  { key: 'logMaxSize', env: 'PROCVISOR_LOG_MAX_SIZE', flag: '--log-max-size', value: '<size>', description: "rotate a log file when it reaches this size (default '10MB')" },
  { key: 'logFiles', env: 'PROCVISOR_LOG_FILES', flag: '--log-files', value: '<n>', description: 'rotated files kept per process, besides the current one (default 5)' },
] as const satisfies readonly SettingInfo[]);

/** Where a setting's value came from: `default`, `file`, `env PROCVISOR_X` or `flag --x`. */
export type SettingSource = 'default' | 'file' | `env ${string}` | `flag ${string}`;

/** The defaults of the settings the command adds (the library's own defaults stay the library's). */
export const SETTING_DEFAULTS = Object.freeze({
  /** Sampling feeds the status table's CPU and memory columns (and lets `limits` work without setup). */
  sampling: '1s' as Duration,
  logMaxSize: 10_000_000,
  logFiles: 5,
});

/** The merged settings. */
export interface Settings {
  /** Options for `new ProcessManager()`: the file's `manager` with the merged settings over it. */
  readonly manager: ManagerOptions;
  /** Where log files go; undefined: no log files. */
  readonly logDir: string | undefined;
  /** Size in bytes at which a log file is rotated. */
  readonly logMaxSize: number;
  /** Rotated files kept per process. */
  readonly logFiles: number;
  /** Where each setting's value came from. */
  readonly sources: Readonly<Record<SettingKey, SettingSource>>;
  /** Malformed variables and flags, named by the variable or flag. */
  readonly issues: readonly ConfigIssue[];
}

/** What is merged. */
export interface MergeInput {
  /** The config file's `manager` object, as written (not yet validated). */
  readonly file?: unknown;
  /** The environment (`process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The command-line flags. */
  readonly flags: SettingFlags;
}

const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary', 'never'];

/** Parses one setting's text; returns the value or an error message. */
type Parser<T> = (text: string) => { value: T } | { error: string };

const restartType: Parser<RestartType> = (text) =>
  (RESTART_TYPES as readonly string[]).includes(text) ? { value: text as RestartType } : { error: `expected one of ${RESTART_TYPES.join(', ')}, got \`${text}\`` };

const duration: Parser<Duration> = (text) => {
  const ms = parseDuration(text);
  return ms === undefined || ms === 0 ? { error: `expected a positive duration such as \`5000\`, \`'250ms'\` or \`'30s'\`, got \`${text}\`` } : { value: text as Duration };
};

const samplingInterval: Parser<Duration | false> = (text) => (text === 'off' || text === 'false' ? { value: false } : duration(text));

const size: Parser<number> = (text) => {
  const bytes = parseSize(text);
  return bytes === undefined || bytes < 1 ? { error: `expected a size such as \`10MB\`, \`512KiB\` or a number of bytes, got \`${text}\`` } : { value: bytes };
};

const count: Parser<number> = (text) => (/^\d+$/.test(text) && Number(text) >= 1 ? { value: Number(text) } : { error: `expected a whole number of at least 1, got \`${text}\`` });

const text: Parser<string> = (value) => ({ value });


/**
 * Merges defaults < file < environment < flags. Never throws: malformed variables and flags are
 * `issues` (their setting then keeps the value of the layer below), and the merged manager options
 * are still validated by `resolveManagerOptions`. `handleSignals` is always `false` and `keepAlive`
 * always `true`: the command handles signals itself and runs until it is stopped.
 */
export function mergeSettings({ file, env, flags }: MergeInput): Settings {
  const issues: ConfigIssue[] = [];
  const sources = {} as Record<SettingKey, SettingSource>;
  const base: Record<string, unknown> = isPlainObject(file) ? { ...file } : {};

  /** The value of the highest layer above the file that has one; records its source. */
  function pick<T>(key: SettingKey, parse: Parser<T>): T | undefined {
    const info = SETTINGS.find((s) => s.key === key) as SettingInfo;
    const layers: [SettingSource, string | undefined][] = [
      [`flag ${info.flag}`, flags[key]],
      [`env ${info.env}`, env[info.env]],
    ];
    for (const [source, raw] of layers) {
      if (raw === undefined || raw.trim() === '') continue;
      const parsed = parse(raw.trim());
      if ('error' in parsed) {
        issues.push({ path: source.slice(source.indexOf(' ') + 1), message: parsed.error });
        continue;
      }
      sources[key] = source;
      return parsed.value;
    }
    return undefined;
  }
  const fromFile = (key: SettingKey, present: boolean): void => {
    sources[key] = present ? 'file' : 'default';
  };

  const restart = pick('restart', restartType);
  if (restart === undefined) fromFile('restart', base.restart !== undefined);
  else base.restart = restart;

  const startTimeout = pick('startTimeout', duration);
  if (startTimeout === undefined) fromFile('startTimeout', base.startTimeout !== undefined);
  else base.startTimeout = startTimeout;

  const shutdownTimeout = pick('shutdownTimeout', duration);
  const fileShutdown = base.shutdown;
  if (shutdownTimeout === undefined) {
    fromFile('shutdownTimeout', isPlainObject(fileShutdown) ? fileShutdown.timeout !== undefined : fileShutdown !== undefined);
  } else {
    // The file's signal stays; `'kill'` (SIGKILL at once) has no timeout, so a timeout replaces it.
    base.shutdown = { ...(isPlainObject(fileShutdown) ? fileShutdown : {}), timeout: shutdownTimeout };
  }

  const sampling = pick('sampling', samplingInterval);
  const fileSampling = base.sampling;
  if (sampling === false) base.sampling = false;
  else if (sampling !== undefined) base.sampling = { ...(isPlainObject(fileSampling) ? fileSampling : {}), interval: sampling };
  else if (fileSampling === undefined) base.sampling = { interval: SETTING_DEFAULTS.sampling };
  if (sampling === undefined) fromFile('sampling', fileSampling !== undefined);

  const logDir = pick('logDir', text);
  if (logDir === undefined) sources.logDir = 'default';
  const logMaxSize = pick('logMaxSize', size);
  if (logMaxSize === undefined) sources.logMaxSize = 'default';
  const logFiles = pick('logFiles', count);
  if (logFiles === undefined) sources.logFiles = 'default';

  // Forced, unless malformed (then left for validation to report).
  if (base.handleSignals === undefined || typeof base.handleSignals === 'boolean') base.handleSignals = false;
  if (base.keepAlive === undefined || typeof base.keepAlive === 'boolean') base.keepAlive = true;
  return {
    manager: base as ManagerOptions,
    logDir,
    logMaxSize: logMaxSize ?? SETTING_DEFAULTS.logMaxSize,
    logFiles: logFiles ?? SETTING_DEFAULTS.logFiles,
    sources,
    issues,
  };
}
