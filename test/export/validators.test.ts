/**
 * The validators reject what they must: a test that passes against a validator that accepts
 * anything proves nothing.
 */
import { describe, expect, it } from 'vitest';
import { execArgv, parseUnit, setting, splitWords, validateCompose, validateKubernetes } from './validators.js';

describe('validators', () => {
  it('the Compose schema rejects an unknown key and a wrong type', () => {
    expect(() => validateCompose({ services: { a: { image: 'x', restart_policy: 'always' } } })).toThrow(/additional/);
    expect(() => validateCompose({ services: { a: { image: 'x', healthcheck: { test: 5 } } } })).toThrow();
    expect(() => validateCompose({ services: { a: { image: 'x', depends_on: { b: { condition: 'ready' } } } } })).toThrow();
  });

  it('the Kubernetes schemas reject a wrong type, a missing field and a bad name', () => {
    const deployment = (container: object, name = 'a'): Record<string, unknown> => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { selector: {}, template: { spec: { containers: [container] } } },
    });
    expect(() => validateKubernetes([deployment({ name: 'a', image: 'x', livenessProbe: { periodSeconds: '1' } })])).toThrow(/integer/);
    expect(() => validateKubernetes([deployment({ image: 'x' })])).toThrow(/name/);
    expect(() => validateKubernetes([deployment({ name: 'a', image: 'x' }, 'A_b')])).toThrow(/invalid name/);
  });

  it('the unit reader follows systemd.syntax', () => {
    const unit = parseUnit('# c\n[Service]\nExecStart=/bin/echo "a b" \\\n  c\\x41 \'d "e"\'\n; comment\nEnvironment="A=1 2" B=3\n');
    expect(execArgv(setting(unit, 'Service', 'ExecStart') as string)).toEqual(['/bin/echo', 'a b', 'cA', 'd "e"']);
    expect(splitWords('"A=1 2" B=3')).toEqual(['A=1 2', 'B=3']);
    expect(() => execArgv('/bin/echo $HOME')).toThrow(/substitution/);
    expect(() => execArgv('/bin/echo %h')).toThrow(/specifier/);
  });
});
