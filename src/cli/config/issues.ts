/**
 * A problem found in a config, an environment variable or a flag, named by where it is: a field path
 * (`processes[1].readiness.url`, `manager.startTimeout`), a variable (`PROCVISOR_RESTART`), a flag
 * (`--restart`) or a Procfile line (`line 3`). `check` prints every one; `start` refuses to run while
 * there is any.
 */
export interface ConfigIssue {
  /** Where the problem is; `''` for the file as a whole. */
  readonly path: string;
  /** What is wrong and, where it helps, what to do. */
  readonly message: string;
}

/** One issue as a line of output: `path: message`, or the message alone for the whole file. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}
