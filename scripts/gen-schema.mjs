/**
 * Generates the JSON Schema of a procvisor config file from the public types (`ProcvisorConfig` in
 * src/config/types.ts) and writes it to dist/schema.json, which ships as `procvisor/schema.json`.
 * Run by `npm run build` after tsup. Function-valued options (a custom probe's `check`, a backoff
 * function, a clock) cannot appear in JSON and are left out. Template-literal types (durations
 * and sizes) come out as plain strings: they get the patterns their TypeScript types allow.
 *
 *   node scripts/gen-schema.mjs [out-file]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A number as TypeScript's `${number}` allows it in these literals (no sign, no exponent needed). */
const NUMBER = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;
const DURATION_UNITS = ['ms', 's', 'sec', 'm', 'min', 'h', 'd'];
const SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'KiB', 'MiB', 'GiB', 'TiB', 'b', 'kb', 'mb', 'gb', 'tb', 'kB', 'kib', 'mib', 'gib', 'tib'];

/** The string branch of a `number | string` definition gets `pattern`. */
function withPattern(definition, pattern) {
  const { type, ...rest } = definition;
  if (!Array.isArray(type) || !type.includes('string')) throw new Error(`unexpected shape: ${JSON.stringify(definition)}`);
  return { ...rest, anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern }] };
}

/** The schema, as an object. */
export function generateSchema() {
  const schema = createGenerator({
    path: join(root, 'src/config/types.ts'),
    tsconfig: join(root, 'tsconfig.json'),
    type: 'ProcvisorConfig',
    functions: 'hide',
    skipTypeCheck: true,
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
  }).createSchema('ProcvisorConfig');
  const defs = schema.definitions;
  defs.Duration = withPattern(defs.Duration, `^${NUMBER}(?:${DURATION_UNITS.join('|')})$`);
  defs.Size = withPattern(defs.Size, `^${NUMBER}(?:${SIZE_UNITS.join('|')})$`);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/procvisor/procvisor/blob/main/docs/cli.md#config-files',
    title: 'procvisor config',
    ...schema,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2] ?? join(root, 'dist', 'schema.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(generateSchema(), null, 2)}\n`);
  console.log(`wrote ${out}`);
}
