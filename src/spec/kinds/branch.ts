import { z } from 'zod';
import type { BranchConfig } from '../../core/definition.js';
import { expressionField, stepIdListField, strictFields } from '../fields.js';
import { defineSpecKind, type SpecReference } from '../kind.js';

const caseFields = strictFields(
  {
    when: expressionField(),
    // biome-ignore lint/suspicious/noThenProperty: the spec's `when`/`then` pair; a list, never a callable thenable.
    then: stepIdListField(),
  },
  'a branch case',
);

const branchFields = z.object({
  /** Tried in order; the first whose `when` holds gives the successors to take. */
  cases: z.array(caseFields).min(1),
  /** Successors taken when no case holds; none when omitted. */
  default: stepIdListField().optional(),
});

/**
 * `branch`: chooses which of its dependents run; the others are skipped. Every target must need the
 * branch step.
 * @example
 * - id: route
 *   kind: branch
 *   needs: [extract]
 *   cases:
 *     - when: '$steps.extract.total > 1000'
 *       then: [review]
 *   default: [pay]
 */
export const branchKind = defineSpecKind({
  kind: 'branch',
  description: 'chooses which of its dependents run',
  fields: branchFields,
  targets: (step) => {
    const targets: SpecReference[] = [];
    for (const [i, c] of step.cases.entries()) {
      for (const [j, name] of c.then.entries()) targets.push({ name, path: `cases[${i}].then[${j}]` });
    }
    for (const [j, name] of (step.default ?? []).entries()) targets.push({ name, path: `default[${j}]` });
    return targets;
  },
  compile(step, env): BranchConfig {
    const cases = step.cases.map((c, i) => ({
      when: env.expression(c.when, `cases[${i}].when`),
      chosen: c.then,
    }));
    const fallback = step.default ?? [];
    return {
      targets: [...new Set([...step.cases.flatMap((c) => c.then), ...fallback])],
      choose: async (ctx) => {
        for (const c of cases) if (await c.when.test(ctx)) return [...c.chosen];
        return [...fallback];
      },
    };
  },
});
