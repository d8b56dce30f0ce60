import { z } from 'zod';
import type { MapConfig } from '../../core/definition.js';
import { expressionField, functionNameField } from '../fields.js';
import { defineSpecKind } from '../kind.js';

const mapFields = z.object({
  /** JSONata expression giving the list to fan out over. */
  items: expressionField(),
  /** Registered function called once per item. */
  fn: functionNameField(),
  /** JSONata expression for each call's args, with `$item` and `$index` bound; the item when omitted. */
  input: expressionField().optional(),
  /** @defaultValue 10 */
  concurrency: z.int().min(1).optional(),
  /** @defaultValue 'fail-fast' */
  onItemFailure: z.enum(['fail-fast', 'collect']).optional(),
  /** @defaultValue 10000 */
  maxItems: z.int().min(1).optional(),
});

/**
 * `map`: calls a registered function for each item of a list, with bounded concurrency.
 *
 * JSONata collapses a one-element result into the element itself and gives no result for an empty
 * match, so `items` that yields a single non-list value is one item and no value is zero items.
 * @example
 * - id: charge
 *   kind: map
 *   items: '$steps.extract.lines'
 *   fn: chargeLine
 *   input: '{ "line": $item, "n": $index }'
 *   concurrency: 4
 */
export const mapKind = defineSpecKind({
  kind: 'map',
  description: 'calls a registered function for each item of a list',
  fields: mapFields,
  functions: (step) => [{ name: step.fn, path: 'fn' }],
  compile(step, env): MapConfig {
    const fn = env.fn(step.fn);
    const items = env.expression(step.items, 'items');
    const input = step.input === undefined ? undefined : env.expression(step.input, 'input');
    return {
      items: async (ctx) => {
        const value = await items.evaluate(ctx);
        if (value === undefined) return [];
        return Array.isArray(value) ? value : [value];
      },
      run: async (item, ctx) => fn(input ? await input.evaluate(ctx, { item, index: ctx.index }) : item, ctx),
      concurrency: step.concurrency ?? 10,
      onItemFailure: step.onItemFailure ?? 'fail-fast',
      maxItems: step.maxItems ?? 10_000,
    };
  },
});
