/**
 * Workflows of the chaos suite, and what each input must end in. Every effect goes through the external
 * {@link Ledger} with the step's idempotency key; its owner is the top-level run (a child run's effect
 * is owned by the parent that started it, so a child started twice would show as a duplicate).
 *
 * Effect steps are marked idempotent (the ledger makes them so) with quick retries: an attempt whose
 * worker is killed again and again is failed by the engine (`WORKER_LOST_LEASE`) and must be retried,
 * not end the run.
 */
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import type { WorkflowDefinition } from '../../src/core/definition.js';
import { NonRetryableError } from '../../src/core/errors.js';
import type { Ledger } from './chaos-ledger.js';

const retry = { maxAttempts: 6, initialDelayMs: 50, maxDelayMs: 500 };
const effect = { effect: true, idempotent: true, retry } as const;

/** The input each workflow takes. */
export type ChaosInput =
  | { workflow: 'chain'; input: { n: number } }
  | { workflow: 'fanout'; input: { n: number; k: number } }
  | { workflow: 'napper'; input: { n: number } }
  | { workflow: 'parent'; input: { n: number } }
  | { workflow: 'saga'; input: { n: number; fail: boolean } };

/** What a run must end in: its status, its output or error code, and the effects it applied, by name. */
export interface Expected {
  status: 'succeeded' | 'failed';
  output?: unknown;
  errorCode?: string;
  effects: string[];
  /** Compensations, in the order they must run. */
  compensations: string[];
  /** Child runs it starts. */
  children: number;
}

/** The nap of `napper` runs (ms). */
export const NAP_MS = 150;

/** Builds the chaos workflows around a ledger. */
export function chaosWorkflows(ledger: Ledger): WorkflowDefinition[] {
  const chain = workflow({ name: 'chain', version: '1', input: z.object({ n: z.number() }) })
    .step('reserve', {
      ...effect,
      run: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'reserve'),
    })
    .step('charge', {
      ...effect,
      needs: ['reserve'],
      run: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'charge'),
    })
    .step('ship', {
      ...effect,
      needs: ['charge'],
      run: ({ run, input, idempotencyKey }) => {
        ledger.effect(idempotencyKey, run.id, 'ship');
        return `shipped-${input.n}`;
      },
    })
    .build();

  const fanout = workflow({ name: 'fanout', version: '1', input: z.object({ n: z.number(), k: z.number() }) })
    .map('items', {
      ...effect,
      items: ({ input }) => Array.from({ length: input.k }, (_, i) => i),
      concurrency: 3,
      run: (i, { run, input, idempotencyKey }) => {
        ledger.effect(idempotencyKey, run.id, `item-${i}`);
        return input.n * 100 + i;
      },
    })
    .step('total', {
      ...effect,
      needs: ['items'],
      run: ({ run, steps, idempotencyKey }) => {
        ledger.effect(idempotencyKey, run.id, 'total');
        return steps.items.reduce((sum, x) => sum + x, 0);
      },
    })
    .build();

  const napper = workflow({ name: 'napper', version: '1', input: z.object({ n: z.number() }) })
    .step('before', {
      ...effect,
      run: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'before'),
    })
    .wait('nap', { needs: ['before'], for: NAP_MS })
    .step('after', {
      ...effect,
      needs: ['nap'],
      run: ({ run, input, idempotencyKey }) => {
        ledger.effect(idempotencyKey, run.id, 'after');
        return `woke-${input.n}`;
      },
    })
    .build();

  const leaf = workflow({ name: 'leaf', version: '1', input: z.object({ n: z.number(), owner: z.string() }) })
    .step('work', {
      ...effect,
      run: ({ input, idempotencyKey }) => {
        ledger.effect(idempotencyKey, input.owner, 'leaf-work');
        return input.n * 10;
      },
    })
    .build();

  const parent = workflow({ name: 'parent', version: '1', input: z.object({ n: z.number() }) })
    .step('prepare', {
      ...effect,
      run: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'prepare'),
    })
    .child('sub', {
      needs: ['prepare'],
      workflow: 'leaf',
      input: ({ run, input }) => ({ n: input.n, owner: run.id }),
    })
    .step('finish', {
      ...effect,
      needs: ['sub'],
      run: ({ run, steps, idempotencyKey }) => {
        ledger.effect(idempotencyKey, run.id, 'finish');
        return (steps.sub as { work: number }).work + 1;
      },
    })
    .build();

  const saga = workflow({
    name: 'saga',
    version: '1',
    input: z.object({ n: z.number(), fail: z.boolean() }),
  })
    .step('book', {
      ...effect,
      run: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'book'),
      compensate: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'unbook'),
    })
    .step('pay', {
      ...effect,
      needs: ['book'],
      run: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'pay'),
      compensate: ({ run, idempotencyKey }) => ledger.effect(idempotencyKey, run.id, 'refund'),
    })
    .step('confirm', {
      ...effect,
      needs: ['pay'],
      run: ({ run, input, idempotencyKey }) => {
        if (input.fail) throw new NonRetryableError('supplier refused', { code: 'SUPPLIER_REFUSED' });
        ledger.effect(idempotencyKey, run.id, 'confirm');
        return `confirmed-${input.n}`;
      },
    })
    .build();

  return [chain, fanout, napper, leaf, parent, saga];
}

/** The `i`-th run of the mix, its input drawn from `random`. */
export function chaosInput(i: number, random: () => number): ChaosInput {
  const n = i;
  switch (i % 5) {
    case 0:
      return { workflow: 'chain', input: { n } };
    case 1:
      return { workflow: 'fanout', input: { n, k: 2 + Math.floor(random() * 5) } };
    case 2:
      return { workflow: 'napper', input: { n } };
    case 3:
      return { workflow: 'parent', input: { n } };
    default:
      return { workflow: 'saga', input: { n, fail: random() < 0.5 } };
  }
}

/** What a run of this input must end in. */
export function expectedOf(submitted: ChaosInput): Expected {
  const none = { compensations: [], children: 0 };
  switch (submitted.workflow) {
    case 'chain':
      return {
        ...none,
        status: 'succeeded',
        output: { ship: `shipped-${submitted.input.n}` },
        effects: ['reserve', 'charge', 'ship'],
      };
    case 'fanout': {
      const { n, k } = submitted.input;
      const items = Array.from({ length: k }, (_, i) => i);
      return {
        ...none,
        status: 'succeeded',
        output: { total: items.reduce((sum, i) => sum + n * 100 + i, 0) },
        effects: [...items.map((i) => `item-${i}`), 'total'],
      };
    }
    case 'napper':
      return {
        ...none,
        status: 'succeeded',
        output: { after: `woke-${submitted.input.n}` },
        effects: ['before', 'after'],
      };
    case 'parent':
      return {
        ...none,
        status: 'succeeded',
        output: { finish: submitted.input.n * 10 + 1 },
        effects: ['prepare', 'leaf-work', 'finish'],
        children: 1,
      };
    case 'saga':
      return submitted.input.fail
        ? {
            status: 'failed',
            errorCode: 'SUPPLIER_REFUSED',
            effects: ['book', 'pay', 'refund', 'unbook'],
            compensations: ['pay', 'book'],
            children: 0,
          }
        : {
            ...none,
            status: 'succeeded',
            output: { confirm: `confirmed-${submitted.input.n}` },
            effects: ['book', 'pay', 'confirm'],
          };
  }
}
