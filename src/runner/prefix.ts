/**
 * Prefix templates of `pipeOutput()`: `'[{name}]'`, `'{index}-{pid}'`, `''` for raw output. A
 * template is checked once (an unknown `{field}` is an error, not text) and compiled to parts.
 */
import type { Subject } from '../spec/validate.js';
import * as v from '../spec/validate.js';

/** The fields a template may name. */
export const PREFIX_FIELDS = Object.freeze(['name', 'pid', 'index', 'time'] as const);

/** One field of a template. */
export type PrefixField = (typeof PREFIX_FIELDS)[number];

/** The values a template is filled with (`pid` is `''` while unknown). */
export type PrefixValues = Readonly<Record<PrefixField, string>>;

/** A checked template: literal text and fields, in order. */
export type PrefixTemplate = readonly (string | { readonly field: PrefixField })[];

const FIELD = /\{([A-Za-z_]\w*)\}/g;

/** Checks and compiles a template; `{word}` must be one of {@link PREFIX_FIELDS}. */
export function compilePrefix(s: Subject, path: string, template: string): PrefixTemplate {
  const parts: (string | { field: PrefixField })[] = [];
  let at = 0;
  for (const match of template.matchAll(FIELD)) {
    const name = match[1] as string;
    if (!(PREFIX_FIELDS as readonly string[]).includes(name)) {
      const known = PREFIX_FIELDS.map((f) => `\`{${f}}\``).join(', ');
      throw v.invalid(s, path, template, `a template whose fields are ${known}`, `\`{${name}}\` is not one of them`);
    }
    if (match.index > at) parts.push(template.slice(at, match.index));
    parts.push({ field: name as PrefixField });
    at = match.index + match[0].length;
  }
  if (at < template.length) parts.push(template.slice(at));
  return Object.freeze(parts);
}

/** The template filled with `values`. */
export function renderPrefix(template: PrefixTemplate, values: PrefixValues): string {
  let text = '';
  for (const part of template) text += typeof part === 'string' ? part : values[part.field];
  return text;
}
