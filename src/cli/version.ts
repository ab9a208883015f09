/**
 * The package's version, read from its package.json: the nearest one named `procvisor` above this
 * file, wherever the file runs from (src/cli, dist, a test bundle).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version of procvisor, or `unknown` when no package.json of it is found. */
export function packageVersion(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'procvisor' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here, or not readable: look further up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
