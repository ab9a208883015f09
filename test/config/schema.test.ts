/**
 * The JSON Schema of config files (dist/schema.json, `procvisor/schema.json`), generated from the
 * public types: the example configs validate against it, and what the types reject, it rejects too.
 */
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript build script without declarations
import { generateSchema } from '../../scripts/gen-schema.mjs';
import exampleConfig from '../../examples/procvisor.config.js';

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

const example = (name: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)), 'utf8'));

describe('procvisor/schema.json', () => {
  let validate: Validate;
  const errors = (): string => JSON.stringify(validate.errors);

  beforeAll(() => {
    const schema = (generateSchema as () => object)();
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema) as Validate;
  }, 30_000);

  it('accepts examples/procvisor.config.json', () => {
    expect(validate(example('procvisor.config.json')), errors()).toBe(true);
  });

  it('accepts the object of examples/procvisor.config.ts (written with defineConfig)', () => {
    // Functions cannot be in JSON: the schema leaves them out, as a JSON round trip does.
    expect(validate(JSON.parse(JSON.stringify(exampleConfig))), errors()).toBe(true);
  });

  it.each([
    ['a restart type that does not exist', { processes: [{ name: 'a', command: 'x', restart: 'sometimes' }] }, '/processes/0'],
    ['a malformed duration', { processes: [{ name: 'a', command: 'x', startTimeout: 'ten seconds' }] }, '/processes/0/startTimeout'],
    ['a malformed size', { processes: [{ name: 'a', command: 'x', limits: { memory: '3 parsecs' } }] }, '/processes/0/limits/memory'],
    ['an unknown key', { processes: [{ name: 'a', command: 'x', cmd: 'y' }] }, '/processes/0'],
    ['no processes', { manager: {} }, ''],
    ['an unknown manager option', { processes: [], manager: { restarts: 3 } }, '/manager'],
  ])('rejects %s', (_what, config, path) => {
    expect(validate(config)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath.startsWith(path))).toBe(true);
  });

  it('accepts durations and sizes as the types do: numbers, and numbers with a unit', () => {
    const config = { processes: [{ name: 'a', command: 'x', startTimeout: '1.5s', shutdown: { timeout: 2000 }, limits: { memory: '512MiB' } }] };
    expect(validate(config), errors()).toBe(true);
  });
});
