/** The strict exposition reader of these tests rejects what it must. */
import { describe, expect, it } from 'vitest';
import { parseExposition, valueOf } from './exposition.js';

const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{name="x",class="normal"} 3\n\n# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\n';

describe('parseExposition', () => {
  it('reads a valid exposition', () => {
    const m = parseExposition(ok);
    expect(valueOf(m, 'a_total', { class: 'normal' })).toBe(3);
    expect(valueOf(m, 'h_bucket', { le: '+Inf' })).toBe(1);
  });

  it.each([
    ['a pid label', ok.replace('class=', 'pid="1",class=')],
    ['a counter without _total', ok.replaceAll('a_total', 'a')],
    ['a sample before its HELP', `x 1\n${ok}`],
    ['a bad name', ok.replaceAll('a_total', 'a-b_total')],
    ['a bad value', ok.replace('} 3', '} three')],
    ['a malformed label', ok.replace('name="x"', 'name=x')],
    ['a duplicate series', ok.replace('h_count 1\n', 'h_count 1\nh_count 2\n')],
    ['no final newline', ok.trimEnd()],
  ])('rejects %s', (_, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
