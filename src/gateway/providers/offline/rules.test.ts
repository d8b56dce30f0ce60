import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError } from '../../../core/errors.js';
import { loadOfflineRules, parseOfflineRules } from './rules.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-offline-rules-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function thrown(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BatonError) return err;
    throw err;
  }
  throw new Error('expected a BatonError');
}

describe('loadOfflineRules', () => {
  it('reads YAML with a rules key and JSON as a bare list', () => {
    const yaml = file('rules.yaml', 'rules:\n  - when: { prompt: hi }\n    answer: { text: hello }\n');
    expect(loadOfflineRules(yaml)).toEqual([{ when: { prompt: 'hi' }, answer: { text: 'hello' } }]);
    const json = file(
      'rules.json',
      JSON.stringify([{ answer: { json: { a: 1 } }, usage: { prompt_tokens: 3 } }]),
    );
    expect(loadOfflineRules(json)).toEqual([{ answer: { json: { a: 1 } }, usage: { prompt_tokens: 3 } }]);
  });

  it('names the file and the offending rule index and name', () => {
    const path = file(
      'bad.yaml',
      'rules:\n  - answer: { text: ok }\n  - name: broken\n    when: { hasTools: maybe }\n    answer: { text: x }\n',
    );
    const err = thrown(() => loadOfflineRules(path));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toContain('rule 1 (broken) at when.hasTools');
    expect(err.details).toMatchObject({ file: path, issues: [{ rule: 1, path: 'when.hasTools' }] });
  });

  it('rejects an answer without content, json mixed with text, unknown keys, bad regexes and placeholders', () => {
    const cases: Array<[unknown, string]> = [
      [[{ answer: {} }], 'rule 0 at answer: an answer needs text, toolCalls or json'],
      [[{ answer: { text: 'a', json: 1 } }], 'rule 0 at answer: a json answer cannot be combined'],
      [[{ answer: { text: 'a' } }, { answer: { text: 'b' }, whenn: {} }], 'rule 1'],
      [
        [{ when: { promptMatches: '([' }, answer: { text: 'a' } }],
        'rule 0: promptMatches is not a valid regular expression',
      ],
      [
        [{ answer: { text: 'a' } }, { answer: { text: '{{lastUsr}}' } }],
        'rule 1: unknown placeholder {{lastUsr}}',
      ],
      [{ rules: 'nope' }, 'the file'],
    ];
    for (const [data, expected] of cases) {
      const err = thrown(() => parseOfflineRules(data, 'inline.yaml'));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toContain('inline.yaml');
      expect(err.message).toContain(expected);
    }
  });

  it('reports a missing file and a YAML syntax error as CONFIG_INVALID with the path', () => {
    const missing = join(dir, 'missing.yaml');
    expect(thrown(() => loadOfflineRules(missing)).message).toContain(missing);
    const broken = file('broken.yaml', 'rules: [ { answer: \n');
    const err = thrown(() => loadOfflineRules(broken));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(`${broken} is not valid YAML`);
  });

  it('accepts the shipped example rules', () => {
    const rules = loadOfflineRules(new URL('./example-rules.yaml', import.meta.url).pathname);
    expect(rules.map((r) => r.name)).toEqual([
      'classify-billing',
      'classify-other',
      'agent-answer',
      'agent-search',
      'summarize',
    ]);
  });
});
