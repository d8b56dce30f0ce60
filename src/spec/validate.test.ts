import { describe, expect, it } from 'vitest';
import type { SpecIssue } from '../core/graph.js';
import { validateSpec } from './validate.js';

type Doc = Record<string, unknown> & { steps: unknown[] };

/** A branch case; built from entries because a literal `then` key trips the thenable lint. */
function branchCase(when: string, targets: string[]): Record<string, unknown> {
  return Object.fromEntries([
    ['when', when],
    ['then', targets],
  ]);
}

function base(): Doc {
  return {
    name: 'invoice-processing',
    version: '2',
    steps: [
      { id: 'extract', kind: 'fn', fn: 'extractInvoice' },
      {
        id: 'route',
        kind: 'branch',
        needs: ['extract'],
        cases: [branchCase('$steps.extract.total > 100', ['review'])],
        default: ['pay'],
      },
      { id: 'review', kind: 'approval', needs: ['route'], prompt: 'Approve?' },
      { id: 'pay', kind: 'fn', needs: ['route'], fn: 'pay' },
    ],
  };
}

function issuesOf(doc: unknown, options?: Parameters<typeof validateSpec>[1]): SpecIssue[] {
  const result = validateSpec(doc, options);
  if (result.ok) throw new Error('expected the spec to be rejected');
  return result.issues;
}

function only(doc: unknown, options?: Parameters<typeof validateSpec>[1]): SpecIssue {
  const issues = issuesOf(doc, options);
  expect(issues).toHaveLength(1);
  return issues[0] as SpecIssue;
}

function step(doc: Doc, i: number): Record<string, unknown> {
  return doc.steps[i] as Record<string, unknown>;
}

describe('validateSpec accepts', () => {
  it('a valid spec and normalizes it', () => {
    const doc = { ...base(), version: 2 };
    const result = validateSpec(doc, { hasFunction: () => true });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec.version).toBe('2');
    expect(result.spec.steps.map((s) => s.id)).toEqual(['extract', 'route', 'review', 'pay']);
    expect(result.spec.steps[1]).toEqual(doc.steps[1]);
    expect(result.spec.steps[1]).not.toBe(doc.steps[1]);
  });

  it('every built-in kind with all its fields', () => {
    const doc = {
      $schema: 'https://example.com/baton-spec.json',
      name: 'all.kinds_1',
      version: '1.0.0',
      description: 'everything',
      input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      outputSchema: { type: 'object' },
      output: '{ "done": true }',
      timeout: '1h',
      steps: [
        {
          id: 'a',
          kind: 'fn',
          fn: 'f',
          input: '$input',
          description: 'first',
          when: 'true',
          retry: { maxAttempts: 5, initialDelay: '1s', backoff: 2, maxDelay: '1m', jitter: 0.2 },
          timeout: '30s',
          effect: true,
          idempotent: true,
          compensate: { fn: 'undo', input: '$output' },
        },
        {
          id: 'b',
          kind: 'map',
          needs: ['a'],
          items: '$steps.a',
          fn: 'f',
          input: '$item',
          concurrency: 2,
          onItemFailure: 'collect',
          maxItems: 50,
        },
        { id: 'c', kind: 'wait', needs: ['b'], duration: 'PT5M' },
        { id: 'd', kind: 'wait', needs: ['c'], until: '$input.at' },
        { id: 'e', kind: 'wait', needs: ['d'], event: { key: '"paid:" & $input.id', timeout: '3d' } },
        {
          id: 'f',
          kind: 'approval',
          needs: ['e'],
          prompt: 'ok?',
          data: '$steps.a',
          assignee: 'ann',
          role: 'finance',
          timeout: '3d',
          defaultAction: 'approve',
          onReject: 'continue',
          escalate: { after: '1d', role: 'lead', assignee: 'bob' },
        },
        {
          id: 'g',
          kind: 'workflow',
          needs: ['f'],
          workflow: 'child',
          version: 'child@2',
          input: '$input',
          maxDepth: 3,
        },
      ],
    };
    expect(validateSpec(doc, { hasFunction: () => true })).toMatchObject({ ok: true });
  });
});

describe('validateSpec reports', () => {
  it('an approval escalation that moves to nobody, lacks a delay, or has unknown fields', () => {
    const doc = base();
    step(doc, 2).escalate = { after: '1d' };
    expect(only(doc)).toMatchObject({ path: 'steps[2].escalate', code: 'INVALID_FIELD' });
    step(doc, 2).escalate = { role: 'lead' };
    expect(only(doc).path).toBe('steps[2].escalate.after');
    step(doc, 2).escalate = { after: '1d', role: 'lead', to: 'x' };
    expect(only(doc)).toMatchObject({ path: 'steps[2].escalate.to', code: 'INVALID_FIELD' });
  });

  it('a document that is not an object', () => {
    expect(only('name: x')).toMatchObject({ path: '', code: 'INVALID_FIELD' });
    expect(only(null)).toMatchObject({ path: '', code: 'INVALID_FIELD' });
  });

  it('EMPTY_WORKFLOW for an empty step list', () => {
    expect(only({ ...base(), steps: [] })).toMatchObject({ path: 'steps', code: 'EMPTY_WORKFLOW' });
  });

  it('missing and malformed workflow fields', () => {
    const issues = issuesOf({ name: '9lives', steps: 'none', extra: 1 });
    expect(issues).toEqual([
      expect.objectContaining({ path: 'extra', code: 'INVALID_FIELD' }),
      expect.objectContaining({
        path: 'name',
        code: 'INVALID_FIELD',
        message: expect.stringMatching(/start with a letter/),
      }),
      expect.objectContaining({ path: 'version', code: 'INVALID_FIELD', message: '"version" is required' }),
      expect.objectContaining({ path: 'steps', code: 'INVALID_FIELD' }),
    ]);
  });

  it('a missing step list', () => {
    const { steps: _, ...doc } = base();
    expect(only(doc)).toMatchObject({
      path: 'steps',
      code: 'INVALID_FIELD',
      message: expect.stringMatching(/required/),
    });
  });

  it('DUPLICATE_STEP_ID', () => {
    const doc = base();
    step(doc, 3).id = 'review';
    const issues = issuesOf(doc);
    expect(issues).toContainEqual(
      expect.objectContaining({ path: 'steps[3].id', code: 'DUPLICATE_STEP_ID' }),
    );
  });

  it('UNKNOWN_NEED and SELF_NEED', () => {
    const doc = base();
    step(doc, 3).needs = ['route', 'nope', 'pay'];
    expect(issuesOf(doc)).toEqual([
      expect.objectContaining({
        path: 'steps[3].needs[1]',
        code: 'UNKNOWN_NEED',
        message: expect.stringMatching(/"nope"/),
      }),
      expect.objectContaining({ path: 'steps[3].needs[2]', code: 'SELF_NEED' }),
    ]);
  });

  it('CYCLE and UNREACHABLE_STEP', () => {
    const doc = base();
    doc.steps = [
      { id: 'a', kind: 'fn', fn: 'f', needs: ['c'] },
      { id: 'b', kind: 'fn', fn: 'f', needs: ['a'] },
      { id: 'c', kind: 'fn', fn: 'f', needs: ['b'] },
      { id: 'd', kind: 'fn', fn: 'f', needs: ['c'] },
    ];
    const issues = issuesOf(doc);
    expect(issues).toContainEqual(
      expect.objectContaining({ code: 'CYCLE', message: expect.stringMatching(/a -> c -> b -> a/) }),
    );
    expect(issues).toContainEqual(expect.objectContaining({ path: 'steps[3]', code: 'UNREACHABLE_STEP' }));
  });

  it('UNKNOWN_STEP_KIND with a suggestion and the known kinds', () => {
    const doc = base();
    step(doc, 0).kind = 'fnn';
    const issue = only(doc);
    expect(issue).toMatchObject({ path: 'steps[0].kind', code: 'UNKNOWN_STEP_KIND' });
    expect(issue.message).toMatch(/did you mean "fn"/);
    expect(issue.message).toMatch(/fn, branch, map, wait, approval, workflow/);
  });

  it('common-field problems of a step of unknown kind', () => {
    const doc = base();
    Object.assign(step(doc, 0), { kind: 'teleport', timeout: 'soon' });
    expect(issuesOf(doc).map((i) => i.code)).toEqual(['UNKNOWN_STEP_KIND', 'INVALID_DURATION']);
  });

  it('UNKNOWN_BRANCH_TARGET', () => {
    const doc = base();
    step(doc, 1).default = ['pay', 'ghost'];
    expect(only(doc)).toMatchObject({ path: 'steps[1].default[1]', code: 'UNKNOWN_BRANCH_TARGET' });
  });

  it('BRANCH_TARGET_NOT_DEPENDENT', () => {
    const doc = base();
    step(doc, 2).needs = ['extract'];
    const issue = only(doc);
    expect(issue).toMatchObject({ path: 'steps[1].cases[0].then[0]', code: 'BRANCH_TARGET_NOT_DEPENDENT' });
    expect(issue.message).toMatch(/add "route" to the needs of "review"/);
  });

  it('INVALID_SCHEMA with the path inside the schema', () => {
    const doc = { ...base(), input: { type: 'object', properties: { total: { type: 'nmber' } } } };
    expect(only(doc)).toMatchObject({ path: 'input.properties.total', code: 'INVALID_SCHEMA' });
    expect(only({ ...base(), outputSchema: 'object' })).toMatchObject({
      path: 'outputSchema',
      code: 'INVALID_SCHEMA',
    });
    expect(only({ ...base(), input: { type: 'array', items: [{ type: 'x' }] } })).toMatchObject({
      path: 'input.items[0]',
      code: 'INVALID_SCHEMA',
    });
    expect(only({ ...base(), input: { $ref: '#/$defs/missing' } })).toMatchObject({
      path: 'input',
      code: 'INVALID_SCHEMA',
    });
  });

  it('INVALID_SCHEMA for schemas holding values that are not JSON', () => {
    const input = { type: 'object', properties: { a: { default: () => 1 } } };
    expect(only({ ...base(), input })).toMatchObject({
      path: 'input.properties.a.default',
      code: 'INVALID_SCHEMA',
    });
  });

  it('accepts JSON Schemas with refs to their own definitions', () => {
    const input = {
      $defs: { id: { type: 'string' } },
      type: 'object',
      properties: { id: { $ref: '#/$defs/id' } },
    };
    expect(validateSpec({ ...base(), input })).toMatchObject({ ok: true });
  });

  it('INVALID_EXPRESSION with JSONata message and position', () => {
    const doc = base();
    (step(doc, 1).cases as unknown[])[0] = branchCase('$steps.extract.total >', ['review']);
    step(doc, 0).input = 'foo bar';
    const issues = issuesOf({ ...doc, output: '{ "a": }' });
    expect(issues).toEqual([
      expect.objectContaining({ path: 'output', code: 'INVALID_EXPRESSION' }),
      expect.objectContaining({
        path: 'steps[0].input',
        code: 'INVALID_EXPRESSION',
        message: expect.stringMatching(/"bar".*position 7/),
      }),
      expect.objectContaining({
        path: 'steps[1].cases[0].when',
        code: 'INVALID_EXPRESSION',
        message: expect.stringMatching(/position/),
      }),
    ]);
  });

  it('an expression that is not a string', () => {
    const doc = base();
    step(doc, 3).when = false;
    expect(only(doc)).toMatchObject({
      path: 'steps[3].when',
      code: 'INVALID_FIELD',
      message: expect.stringMatching(/the boolean false/),
    });
  });

  it('INVALID_DURATION', () => {
    const doc = { ...base(), timeout: '5 parsecs' };
    step(doc, 0).retry = { initialDelay: '-1s', maxDelay: true };
    step(doc, 2).timeout = 'P1M';
    expect(issuesOf(doc)).toEqual([
      expect.objectContaining({ path: 'timeout', code: 'INVALID_DURATION' }),
      expect.objectContaining({
        path: 'steps[0].retry.initialDelay',
        code: 'INVALID_DURATION',
        message: expect.stringMatching(/negative/),
      }),
      expect.objectContaining({ path: 'steps[0].retry.maxDelay', code: 'INVALID_DURATION' }),
      expect.objectContaining({
        path: 'steps[2].timeout',
        code: 'INVALID_DURATION',
        message: expect.stringMatching(/months/),
      }),
    ]);
  });

  it('UNKNOWN_FUNCTION only when a lookup is given', () => {
    const doc = base();
    step(doc, 3).compensate = { fn: 'refund' };
    expect(validateSpec(doc)).toMatchObject({ ok: true });
    const issues = issuesOf(doc, { hasFunction: (name) => name === 'pay' });
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'steps[0].fn',
        code: 'UNKNOWN_FUNCTION',
        message: expect.stringMatching(/"extractInvoice"/),
      }),
      expect.objectContaining({ path: 'steps[3].compensate.fn', code: 'UNKNOWN_FUNCTION' }),
    ]);
  });

  it('UNKNOWN_FUNCTION alongside other problems of the same step', () => {
    const doc = base();
    step(doc, 0).timeout = 'whenever';
    expect(issuesOf(doc, { hasFunction: () => false }).map((i) => `${i.path} ${i.code}`)).toEqual([
      'steps[0].timeout INVALID_DURATION',
      'steps[0].fn UNKNOWN_FUNCTION',
      'steps[3].fn UNKNOWN_FUNCTION',
    ]);
  });

  it('INVALID_FIELD for unknown keys, with a suggestion, at every level', () => {
    const doc = base();
    step(doc, 0).fnn = 'x';
    step(doc, 0).retry = { maxAtempts: 3 };
    (step(doc, 1).cases as unknown[])[0] = { ...branchCase('true', ['review']), than: [] };
    const issues = issuesOf(doc);
    expect(issues.map((i) => i.path)).toEqual([
      'steps[0].retry.maxAtempts',
      'steps[0].fnn',
      'steps[1].cases[0].than',
    ]);
    expect(issues.every((i) => i.code === 'INVALID_FIELD')).toBe(true);
    expect(issues[0]?.message).toMatch(/did you mean "maxAttempts"/);
    expect(issues[1]?.message).toMatch(/did you mean "fn"\?.*known fields: id, kind/);
  });

  it('INVALID_FIELD for wrong types, missing fields and bad values', () => {
    const doc = base();
    doc.steps = [
      { id: '1st', kind: 'fn' },
      { id: 'm', kind: 'map', items: '$input', fn: 'f', concurrency: 0, onItemFailure: 'ignore' },
      { id: 'w', kind: 'wait' },
      { id: 'w2', kind: 'wait', duration: '1s', event: { key: '"k"' } },
      { id: 'c', kind: 'workflow', workflow: 'child', version: 'other@2' },
      { id: 'r', kind: 'fn', fn: 'f', needs: ['m', 'm'], retry: { maxAttempts: 1.5, jitter: 2 } },
      'not a step',
    ];
    expect(issuesOf(doc).map((i) => `${i.path} ${i.code} ${i.message}`)).toEqual([
      expect.stringMatching(/^steps\[0\]\.id INVALID_FIELD a step id must start/),
      'steps[0].fn INVALID_FIELD "fn" is required',
      'steps[1].concurrency INVALID_FIELD must be at least 1',
      'steps[1].onItemFailure INVALID_FIELD expected one of "fail-fast", "collect", got the string "ignore"',
      'steps[2] INVALID_FIELD a wait step needs one of "duration", "until" or "event"',
      expect.stringMatching(/^steps\[3\]\.event INVALID_FIELD a wait step takes exactly one of/),
      expect.stringMatching(
        /^steps\[4\]\.version INVALID_FIELD version "other@2" is not a version of workflow "child"/,
      ),
      'steps[5].needs[1] INVALID_FIELD "m" is listed twice',
      'steps[5].retry.maxAttempts INVALID_FIELD expected an integer, got the number 1.5',
      'steps[5].retry.jitter INVALID_FIELD must be at most 1',
      'steps[6] INVALID_FIELD a step must be an object with an "id" and a "kind"',
    ]);
  });

  it('every problem at once, fields before graph', () => {
    const doc = base();
    step(doc, 0).kind = 'nope';
    step(doc, 2).prompt = 42;
    step(doc, 3).needs = ['missing'];
    expect(issuesOf({ ...doc, timeout: 'x' }).map((i) => i.code)).toEqual([
      'INVALID_DURATION',
      'UNKNOWN_STEP_KIND',
      'INVALID_FIELD',
      'UNKNOWN_NEED',
      'BRANCH_TARGET_NOT_DEPENDENT',
    ]);
  });

  it('never throws, whatever the input', () => {
    for (const doc of [
      undefined,
      0,
      [],
      { steps: [null, 1, [], { id: {}, kind: {} }] },
      { steps: [{ kind: 'branch' }] },
    ]) {
      expect(validateSpec(doc).ok).toBe(false);
    }
  });
});
