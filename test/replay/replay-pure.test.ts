/**
 * Replay of the pure kinds (branch, map with collected failures, conditions) and of a wait step,
 * whose recorded outcome is taken: a replay on the same version agrees with the recording, and a
 * version whose branch chooses differently diverges where it should.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { useEngines } from '../helpers.js';

const engine = useEngines();

function flow(label: string, pick: 'big' | 'small') {
  return workflow({ name: 'pure', version: label, input: z.object({ n: z.number() }) })
    .map('squares', {
      items: (ctx) => [1, 2, ctx.input.n],
      run: (item) => {
        if (item === 0) throw new Error('zero');
        return item * item;
      },
      onItemFailure: 'collect',
      retry: { maxAttempts: 1 },
    })
    .wait('pause', { needs: ['squares'], for: 1 })
    .branch('route', {
      needs: ['pause'],
      choose: (ctx) => (ctx.input.n > 2 || pick === 'big' ? 'big' : 'small'),
    })
    .step('big', { needs: ['route'], run: (ctx) => ({ big: ctx.steps.route }) })
    .step('small', { needs: ['route'], run: () => 'small' })
    .step('odd', { needs: ['route'], when: (ctx) => ctx.input.n % 2 === 1, run: () => 'odd' })
    .build();
}

describe('replay of pure kinds', () => {
  it('agrees with the recording on its own version, and reports a different branch choice', async () => {
    const b = await engine();
    const v1 = await b.register(flow('1', 'small'));
    const v2 = await b.register(flow('2', 'big'));
    b.worker({ pollMs: 10 });
    const run = await b.waitForRun((await b.submit('pure', { n: 0 }, { version: v1.id })).id);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');

    const same = await b.replay(run.id);
    expect(same.diverged).toBe(false);
    expect(same.steps.map((s) => [s.stepId, s.status, s.mode])).toEqual([
      ['squares', 'same', 'executed'],
      ['pause', 'same', 'recorded'],
      ['route', 'same', 'executed'],
      ['big', 'same', 'recorded'],
      ['small', 'same', 'executed'],
      ['odd', 'same', 'recorded'],
    ]);

    const other = await b.replay(run.id, { version: v2.id });
    expect(Object.fromEntries(other.steps.map((s) => [s.stepId, s.status]))).toEqual({
      squares: 'same',
      pause: 'same',
      route: 'diverged',
      big: 'diverged',
      small: 'diverged',
      odd: 'same',
    });
    expect(other.steps.find((s) => s.stepId === 'big')?.detail).toContain(
      'recorded skipped, replay succeeded',
    );
  });

  it('bounds each step by its timeout, as a worker does: a body that never settles does not hold the replay', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'stuck', version: '1', input: z.object({}) })
        .step('wait', {
          timeout: 50,
          retry: { maxAttempts: 1 },
          // Ignores its signal and never settles: only the timeout ends it.
          run: () => new Promise<never>(() => undefined),
        })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const run = await b.waitForRun((await b.submit('stuck', {})).id);
    expect(run.error?.code).toBe('STEP_TIMEOUT');

    const report = await b.replay(run.id);
    expect(report.steps).toEqual([
      expect.objectContaining({ stepId: 'wait', status: 'same', mode: 'executed' }),
    ]);
    expect(report.output.status).toBe('not-compared');
  }, 10_000);
});
