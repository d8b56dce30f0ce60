import { z } from 'zod';
import type { FnConfig } from '../../core/definition.js';
import { expressionField, functionNameField } from '../fields.js';
import { defineSpecKind } from '../kind.js';

const fnFields = z.object({
  /** Name of the registered function to call. */
  fn: functionNameField(),
  /** JSONata expression for the function's args; the run input when omitted. */
  input: expressionField().optional(),
});

/**
 * `fn`: calls a registered function with `(args, ctx)`.
 * @example
 * - id: extract
 *   kind: fn
 *   fn: extractInvoice
 *   input: '{ "url": $input.pdfUrl }'
 */
export const fnKind = defineSpecKind({
  kind: 'fn',
  description: 'calls a registered function',
  fields: fnFields,
  functions: (step) => [{ name: step.fn, path: 'fn' }],
  compile(step, env): FnConfig {
    const fn = env.fn(step.fn);
    const input = step.input === undefined ? undefined : env.expression(step.input, 'input');
    return {
      fn: step.fn,
      run: async (ctx) => fn(input ? await input.evaluate(ctx) : ctx.input, ctx),
    };
  },
});
