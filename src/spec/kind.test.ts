import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FnConfig, StepContext, WorkflowDefinition } from '../core/definition.js';
import { compileSpec } from './compile.js';
import { expressionField, functionNameField, stepIdListField } from './fields.js';
import { defineSpecKind, SpecKindRegistry } from './kind.js';
import { builtinSpecKinds, registerSpecKind, specKinds } from './registry.js';
import { validateSpec } from './validate.js';

const shout = defineSpecKind({
  kind: 'shout',
  description: 'calls a function with an upper-cased message',
  fields: z.object({
    message: expressionField(),
    via: functionNameField(),
    also: stepIdListField().optional(),
  }),
  targets: (step) => (step.also ?? []).map((name, i) => ({ name, path: `also[${i}]` })),
  functions: (step) => [{ name: step.via, path: 'via' }],
  compile(step, env): FnConfig {
    const message = env.expression(step.message, 'message');
    const via = env.fn(step.via);
    return { run: async (ctx) => via(String(await message.evaluate(ctx)).toUpperCase(), ctx) };
  },
});

const kinds = new SpecKindRegistry([...builtinSpecKinds, shout]);

function doc(step: Record<string, unknown>) {
  return { name: 'k', version: '1', steps: [{ id: 'a', kind: 'shout', ...step }] };
}

describe('spec kinds', () => {
  it('the default registry holds the built-in six', () => {
    expect(specKinds.names()).toEqual(['fn', 'branch', 'map', 'wait', 'approval', 'workflow']);
  });

  it('a registered kind is validated with its own fields', () => {
    expect(validateSpec(doc({ message: '"hi"', via: 'say' }), { kinds })).toMatchObject({ ok: true });
    expect(validateSpec(doc({ message: '"hi"', via: 'say' })).ok).toBe(false);
    const result = validateSpec(doc({ message: '"hi" &', vai: 'say', also: ['b'] }), {
      kinds,
      hasFunction: () => false,
    });
    expect(result.ok ? [] : result.issues.map((i) => `${i.path} ${i.code}`)).toEqual([
      'steps[0].vai INVALID_FIELD',
      'steps[0].message INVALID_EXPRESSION',
      'steps[0].via INVALID_FIELD',
    ]);
  });

  it("a kind's targets and functions are checked", () => {
    const result = validateSpec(doc({ message: '"hi"', via: 'say', also: ['ghost'] }), {
      kinds,
      hasFunction: () => false,
    });
    expect(result.ok ? [] : result.issues.map((i) => `${i.path} ${i.code}`)).toEqual([
      'steps[0].via UNKNOWN_FUNCTION',
      'steps[0].also[0] UNKNOWN_BRANCH_TARGET',
    ]);
  });

  it('a registered kind compiles', async () => {
    const said: unknown[] = [];
    const definition = compileSpec(
      doc({ message: '$input.text', via: 'say' }),
      new Map([['say', (args: unknown) => said.push(args)]]),
      { kinds },
    );
    await (firstConfig(definition) as FnConfig).run({ input: { text: 'hey' } } as StepContext);
    expect(said).toEqual(['HEY']);
  });

  it('refuses duplicate, malformed and field-clashing kinds', () => {
    expect(() => new SpecKindRegistry([shout, shout])).toThrow(/already registered/);
    expect(() => new SpecKindRegistry([{ ...shout, kind: 'Shout' }])).toThrow(/malformed/);
    expect(() => new SpecKindRegistry([{ ...shout, fields: z.object({ needs: z.string() }) }])).toThrow(
      /redefines common step fields: needs/,
    );
    expect(
      () => new SpecKindRegistry([{ ...shout, fields: z.object({ timeout: z.string() }) }]),
    ).not.toThrow();
  });

  it('registerSpecKind adds to the default registry', () => {
    registerSpecKind({ ...shout, kind: 'shout-default' });
    expect(specKinds.get('shout-default')).toBeDefined();
    expect(() => registerSpecKind({ ...shout, kind: 'fn' })).toThrow(/already registered/);
  });
});

function firstConfig(definition: WorkflowDefinition): unknown {
  const first = definition.steps[0];
  if (!first) throw new Error('the definition has no steps');
  return first.config;
}
