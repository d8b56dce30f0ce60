import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { useEngines } from '../helpers.js';
import { until } from '../until.js';

const engine = useEngines();

describe('engine edge cases', () => {
  it('runs compensations in full after the run deadline, once each, with the reason', async () => {
    const b = await engine();
    const refunds: string[] = [];
    await b.register(
      workflow({ name: 'deadline-saga', version: '1', input: z.object({}), timeout: 150 })
        .step('charge', {
          effect: true,
          run: () => 'c1',
          compensate: async ({ reason, idempotencyKey }) => {
            await new Promise((r) => setTimeout(r, 50));
            refunds.push(`${reason.code}:${idempotencyKey}`);
          },
        })
        .step('slow', {
          needs: ['charge'],
          run: ({ signal }) =>
            new Promise((resolve) => signal.addEventListener('abort', () => resolve(null))),
        })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const run = await b.waitForRun((await b.submit('deadline-saga', {})).id);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('RUN_TIMEOUT');
    expect(refunds).toEqual([`RUN_TIMEOUT:${run.id}:charge:compensate`]);
  });

  it('compensates a compensable step that was running when the run was cancelled', async () => {
    const b = await engine();
    const log: string[] = [];
    await b.register(
      workflow({ name: 'cancel-running', version: '1', input: z.object({}) })
        .step('charge', {
          effect: true,
          run: ({ signal }) =>
            new Promise((resolve) => {
              log.push('charged');
              signal.addEventListener('abort', () => resolve('late'));
            }),
          compensate: ({ output }) => {
            log.push(`refund(${String(output)})`);
          },
        })
        .build(),
    );
    b.worker({ pollMs: 10, leaseMs: 300 });
    const run = await b.submit('cancel-running', {});
    await until('the charge to start', async () => log.includes('charged'));
    await b.cancel(run.id, 'changed my mind');
    const done = await b.waitForRun(run.id);
    expect(done.status).toBe('cancelled');
    expect(log).toEqual(['charged', 'refund(undefined)']);
  });

  it('fails a step whose output is not JSON with INVALID_OUTPUT, without retrying it', async () => {
    const b = await engine();
    let calls = 0;
    await b.register(
      workflow({ name: 'bigint', version: '1', input: z.object({}) })
        .step('s', {
          run: () => {
            calls++;
            return { n: 1n };
          },
        })
        .build(),
    );
    b.worker();
    const done = await b.waitForRun((await b.submit('bigint', {})).id);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('INVALID_OUTPUT');
    expect(calls).toBe(1);
  });

  it('never runs more tasks at once than the worker concurrency, even when successors are dispatched', async () => {
    const b = await engine();
    let running = 0;
    let peak = 0;
    await b.register(
      workflow({ name: 'wide', version: '1', input: z.object({}) })
        .map('m', {
          items: () => Array.from({ length: 60 }, (_, i) => i),
          concurrency: 50,
          run: async (i) => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((r) => setTimeout(r, 2));
            running--;
            return i;
          },
        })
        .build(),
    );
    b.worker({ concurrency: 4 });
    const done = await b.waitForRun((await b.submit('wide', {})).id);
    expect(done.status).toBe('succeeded');
    expect(peak).toBeLessThanOrEqual(4);
  });

  it('needs a new event for each wait on the same key', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'two-waits', version: '1', input: z.object({}) })
        .wait('first', { event: () => 'ping' })
        .wait('second', { needs: ['first'], event: () => 'ping' })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const run = await b.submit('two-waits', {});
    await b.sendEvent('ping', { n: 1 });
    await until('the first wait to pass', async () =>
      (await b.steps(run.id)).some((s) => s.stepId === 'second' && s.status === 'waiting'),
    );
    expect((await b.getRun(run.id)).status).toBe('waiting');
    await b.sendEvent('ping', { n: 2 });
    const done = await b.waitForRun(run.id);
    expect(done.output).toEqual({ second: { n: 2 } });
  });

  it('refuses an idempotency key already used by another workflow', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'a', version: '1', input: z.object({}) })
        .step('s', { run: () => 1 })
        .build(),
    );
    await b.register(
      workflow({ name: 'b', version: '1', input: z.object({}) })
        .step('s', { run: () => 1 })
        .build(),
    );
    await b.submit('a', {}, { idempotencyKey: 'k' });
    await expect(b.submit('b', {}, { idempotencyKey: 'k' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
    expect(await b.listRuns({ workflow: 'b' })).toEqual([]);
  });

  it("a worker without a version's code gives its tasks back instead of failing the run", async () => {
    const withCode = await engine();
    const def = workflow({ name: 'rolling', version: '1', input: z.object({}) })
      .step('s', { run: () => 'ran' })
      .build();
    await withCode.register(def);
    const run = await withCode.submit('rolling', {});
    const { Baton } = await import('../../src/runtime/baton.js');
    const without = await Baton.open(withCode.where);
    try {
      const errors: unknown[] = [];
      without.worker({ pollMs: 10, releaseDelayMs: 50, onError: (e) => errors.push(e) });
      await until('the task to be released', async () =>
        (await withCode.history(run.id)).some((e) => e.type === 'task-released'),
      );
      expect((await withCode.getRun(run.id)).status).toBe('running');
      await without.close();
      withCode.worker({ pollMs: 10 });
      expect((await withCode.waitForRun(run.id)).output).toEqual({ s: 'ran' });
      expect(String(errors[0])).toContain('WORKFLOW_CODE_MISSING');
    } finally {
      await without.close();
    }
  });

  it('a stopping worker finishes its running step but takes no successor, and gives nothing else away', async () => {
    const first = await engine();
    let charges = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const def = workflow({ name: 'stop-midway', version: '1', input: z.object({}) })
      .step('charge', {
        effect: true,
        run: async () => {
          charges++;
          await gate;
          return 'charged';
        },
      })
      .step('ship', { needs: ['charge'], run: () => 'shipped' })
      .build();
    await first.register(def);
    const worker = first.worker({ pollMs: 10 });
    const run = await first.submit('stop-midway', {});
    await until('the charge to start', async () => charges === 1);
    const stopping = worker.stop(5000);
    release();
    await stopping;
    const steps = await first.steps(run.id);
    expect(steps.find((s) => s.stepId === 'charge')?.status).toBe('succeeded');
    expect(steps.find((s) => s.stepId === 'ship')?.status).toBe('scheduled');
    first.worker({ pollMs: 10 });
    expect((await first.waitForRun(run.id)).output).toEqual({ ship: 'shipped' });
    expect(charges).toBe(1);
  });
});
