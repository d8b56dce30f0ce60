import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { NonRetryableError, RetryAfterError } from '../../src/core/errors.js';
import { useEngines } from '../helpers.js';
import { until } from '../until.js';

const engine = useEngines();

const fast = { initialDelayMs: 5, maxDelayMs: 20, jitter: 0 };

describe('engine', () => {
  it('runs a sequential workflow and passes outputs between steps', async () => {
    const b = await engine();
    const wf = workflow({ name: 'seq', version: '1', input: z.object({ n: z.number() }) })
      .step('a', { run: ({ input }) => input.n + 1 })
      .step('b', { needs: ['a'], run: ({ steps }) => steps.a * 2 })
      .output(({ steps }) => ({ result: steps.b }));
    await b.register(wf);
    b.worker({ leaseMs: 2000 });
    const run = await b.submit('seq', { n: 4 });
    const done = await b.waitForRun(run.id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ result: 10 });
    const types = (await b.history(run.id)).map((e) => e.type);
    expect(types[0]).toBe('run-created');
    expect(types.at(-1)).toBe('run-succeeded');
  });

  it('runs steps whose needs are met in parallel, and never starts a step before its needs', async () => {
    const b = await engine();
    const log: string[] = [];
    const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const wf = workflow({ name: 'par', version: '1', input: z.object({}) })
      .step('a', {
        run: async () => {
          log.push('a');
          return 1;
        },
      })
      .step('b', {
        needs: ['a'],
        run: async () => {
          log.push('b+');
          await delay(50);
          log.push('b-');
          return 2;
        },
      })
      .step('c', {
        needs: ['a'],
        run: async () => {
          log.push('c+');
          await delay(50);
          log.push('c-');
          return 3;
        },
      })
      .step('d', {
        needs: ['b', 'c'],
        run: ({ steps }) => {
          log.push('d');
          return steps.b + steps.c;
        },
      })
      .build();
    await b.register(wf);
    b.worker();
    const run = await b.submit('par', {});
    const done = await b.waitForRun(run.id);
    expect(done.output).toEqual({ d: 5 });
    // b and c overlapped: both started before either finished.
    expect(log.indexOf('c+')).toBeLessThan(log.indexOf('b-'));
    expect(log.indexOf('b+')).toBeLessThan(log.indexOf('c-'));
    expect(log.at(-1)).toBe('d');
  });

  it('skips a step whose condition is false and records it as skipped', async () => {
    const b = await engine();
    const wf = workflow({ name: 'cond', version: '1', input: z.object({ go: z.boolean() }) })
      .step('maybe', { when: ({ input }) => input.go, run: () => 'ran' })
      .step('after', { needs: ['maybe'], run: ({ steps }) => steps.maybe ?? 'nothing' })
      .build();
    await b.register(wf);
    b.worker();
    const run = await b.submit('cond', { go: false });
    expect((await b.waitForRun(run.id)).status).toBe('succeeded');
    const steps = await b.steps(run.id);
    expect(steps.find((s) => s.stepId === 'maybe')?.status).toBe('skipped');
    // every need skipped: skipped too
    expect(steps.find((s) => s.stepId === 'after')?.status).toBe('skipped');
  });

  it('branches: the chosen successor runs, the others are skipped, a join still runs', async () => {
    const b = await engine();
    const wf = workflow({ name: 'br', version: '1', input: z.object({ amount: z.number() }) })
      .branch('route', { choose: ({ input }) => (input.amount > 100 ? 'review' : 'auto') })
      .step('review', { needs: ['route'], run: () => 'reviewed' })
      .step('auto', { needs: ['route'], run: () => 'auto-approved' })
      .step('join', { needs: ['review', 'auto'], run: ({ steps }) => steps.review ?? steps.auto })
      .build();
    await b.register(wf);
    b.worker();
    const big = await b.waitForRun((await b.submit('br', { amount: 500 })).id);
    expect(big.output).toEqual({ join: 'reviewed' });
    const small = await b.waitForRun((await b.submit('br', { amount: 5 })).id);
    expect(small.output).toEqual({ join: 'auto-approved' });
    const steps = await b.steps(small.id);
    expect(steps.find((s) => s.stepId === 'review')?.status).toBe('skipped');
  });

  it('maps over items with a concurrency bound', async () => {
    const b = await engine();
    let inFlight = 0;
    let peak = 0;
    const wf = workflow({ name: 'map', version: '1', input: z.object({ xs: z.array(z.number()) }) })
      .map('double', {
        items: ({ input }) => input.xs,
        concurrency: 3,
        run: async (x) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          return x * 2;
        },
      })
      .build();
    await b.register(wf);
    b.worker({ concurrency: 20 });
    const run = await b.waitForRun((await b.submit('map', { xs: [1, 2, 3, 4, 5, 6, 7] })).id);
    expect(run.output).toEqual({ double: [2, 4, 6, 8, 10, 12, 14] });
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  it('map collects item failures when asked, and fails fast by default', async () => {
    const b = await engine();
    const run = async (x: number) => {
      if (x === 2) throw new NonRetryableError('two is bad');
      return x;
    };
    await b.register(
      workflow({ name: 'collect', version: '1', input: z.object({}) })
        .map('m', { items: () => [1, 2, 3], run, onItemFailure: 'collect' })
        .build(),
    );
    await b.register(
      workflow({ name: 'failfast', version: '1', input: z.object({}) })
        .map('m', { items: () => [1, 2, 3], run, concurrency: 1 })
        .build(),
    );
    b.worker();
    const c = await b.waitForRun((await b.submit('collect', {})).id);
    expect(c.status).toBe('succeeded');
    expect(c.output).toEqual({
      m: [
        { ok: true, value: 1 },
        { ok: false, error: { code: 'STEP_FAILED', message: 'two is bad', retryable: false } },
        { ok: true, value: 3 },
      ],
    });
    const f = await b.waitForRun((await b.submit('failfast', {})).id);
    expect(f.status).toBe('failed');
    expect(f.error?.code).toBe('MAP_ITEM_FAILED');
  });

  it('retries retryable failures with backoff, honours RetryAfterError, and stops on NonRetryableError', async () => {
    const b = await engine();
    let calls = 0;
    let nonRetryCalls = 0;
    await b.register(
      workflow({ name: 'flaky', version: '1', input: z.object({}) })
        .step('s', {
          retry: { ...fast, maxAttempts: 4 },
          run: () => {
            calls++;
            if (calls === 1) throw new Error('boom');
            if (calls === 2) throw new RetryAfterError('slow down', 30);
            return calls;
          },
        })
        .build(),
    );
    await b.register(
      workflow({ name: 'fatal', version: '1', input: z.object({}) })
        .step('s', {
          retry: { ...fast, maxAttempts: 4 },
          run: () => {
            nonRetryCalls++;
            throw new NonRetryableError('bad request', { code: 'BAD_REQUEST' });
          },
        })
        .build(),
    );
    b.worker();
    const ok = await b.waitForRun((await b.submit('flaky', {})).id);
    expect(ok.output).toEqual({ s: 3 });
    const retries = (await b.history(ok.id)).filter((e) => e.type === 'retry-scheduled');
    expect(retries).toHaveLength(2);
    expect((retries[1]?.data as { delayMs: number } | undefined)?.delayMs).toBeGreaterThanOrEqual(30);
    const bad = await b.waitForRun((await b.submit('fatal', {})).id);
    expect(bad.status).toBe('failed');
    expect(bad.error?.code).toBe('BAD_REQUEST');
    expect(nonRetryCalls).toBe(1);
  });

  it('does not retry a non-idempotent effect, and compensates completed effects in reverse order', async () => {
    const b = await engine();
    const ledger: string[] = [];
    await b.register(
      workflow({ name: 'saga', version: '1', input: z.object({}) })
        .step('reserve', {
          effect: true,
          run: ({ idempotencyKey }) => {
            ledger.push(`reserve:${idempotencyKey}`);
            return 'r1';
          },
          compensate: ({ output }) => {
            ledger.push(`release:${String(output)}`);
          },
        })
        .step('charge', {
          needs: ['reserve'],
          effect: true,
          run: () => {
            ledger.push('charge');
            return 'c1';
          },
          compensate: () => {
            ledger.push('refund');
          },
        })
        .step('ship', {
          needs: ['charge'],
          effect: true,
          retry: { ...fast, maxAttempts: 5 },
          run: () => {
            ledger.push('ship-attempt');
            throw new Error('carrier down');
          },
        })
        .build(),
    );
    b.worker();
    const run = await b.waitForRun((await b.submit('saga', {})).id);
    expect(run.status).toBe('failed');
    expect(ledger.filter((l) => l === 'ship-attempt')).toHaveLength(1);
    expect(ledger.slice(-2)).toEqual(['refund', 'release:r1']);
    const types = (await b.history(run.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'compensation-succeeded')).toHaveLength(2);
  });

  it('returns the same run for the same idempotency key', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'idem', version: '1', input: z.object({}) })
        .step('s', { run: () => 1 })
        .build(),
    );
    const r1 = await b.submit('idem', {}, { idempotencyKey: 'k1' });
    const r2 = await b.submit('idem', {}, { idempotencyKey: 'k1' });
    expect(r2.id).toBe(r1.id);
    expect(await b.listRuns({ workflow: 'idem' })).toHaveLength(1);
  });

  it('sleeps durably and wakes on an event sent by key', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'waits', version: '1', input: z.object({ id: z.string() }) })
        .wait('nap', { for: '30ms' })
        .wait('delivered', { needs: ['nap'], event: ({ input }) => `delivered:${input.id}`, timeout: '10s' })
        .step('done', { needs: ['delivered'], run: ({ steps }) => steps.delivered })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const run = await b.submit('waits', { id: 'x1' });
    // An event sent before the run reaches its wait still counts.
    await b.sendEvent('delivered:x1', { by: 'courier' });
    const done = await b.waitForRun(run.id);
    expect(done.output).toEqual({ done: { by: 'courier' } });
  });

  it('fails a wait with WAIT_TIMEOUT when no event comes', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'wait-timeout', version: '1', input: z.object({}) })
        .wait('e', { event: () => 'never', timeout: '30ms' })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const done = await b.waitForRun((await b.submit('wait-timeout', {})).id);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('WAIT_TIMEOUT');
  });

  it('pauses on an approval until decided; a decision on a run that is not waiting is refused and changes nothing', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'appr', version: '1', input: z.object({ amount: z.number() }) })
        .approval('ok', { prompt: 'Pay?', data: ({ input }) => ({ amount: input.amount }), timeout: '1h' })
        .step('pay', { needs: ['ok'], run: ({ steps }) => steps.ok.data })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const run = await b.submit('appr', { amount: 10 });
    await expect(b.decide(run.id, 'pay', { approved: true, by: 'ann' })).rejects.toMatchObject({
      code: 'RUN_NOT_WAITING',
    });
    await until('the run to wait', async () => (await b.getRun(run.id)).status === 'waiting');
    const before = await b.history(run.id);
    await expect(b.decide(run.id, 'nope', { approved: true, by: 'ann' })).rejects.toMatchObject({
      code: 'STEP_NOT_FOUND',
    });
    expect(await b.history(run.id)).toEqual(before);
    await b.decide(run.id, 'ok', { approved: true, by: 'ann', comment: 'fine', data: { amount: 9 } });
    const done = await b.waitForRun(run.id);
    expect(done.output).toEqual({ pay: { amount: 9 } });
    await expect(b.decide(run.id, 'ok', { approved: true, by: 'ann' })).rejects.toMatchObject({
      code: 'RUN_ALREADY_FINISHED',
    });
  });

  it('escalates an approval on its SLA: the inbox lists it as due until it is escalated, once', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'appr-sla', version: '1', input: z.object({}) })
        .step('prep', { run: () => 'ready' })
        .approval('ok', {
          needs: ['prep'],
          prompt: 'Ship?',
          assignee: 'ann',
          escalate: { after: '1h', role: 'lead' },
        })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const started = Date.now();
    const run = await b.submit('appr-sla', {}, { tenant: 'acme' });
    const other = await b.submit('appr-sla', {});
    await until(
      'both runs to wait',
      async () => (await b.listRuns({ waitingForApproval: true })).length === 2,
    );
    expect((await b.listRuns({ waitingForApproval: true, tenant: 'acme' })).map((r) => r.id)).toEqual([
      run.id,
    ]);
    const [pending] = await b.listApprovals({ tenant: 'acme' });
    const at = pending?.request.escalation?.at ?? 0;
    expect(pending).toMatchObject({ runId: run.id, stepId: 'ok', workflow: 'appr-sla', tenant: 'acme' });
    expect(pending?.request).toMatchObject({ assignee: 'ann', escalation: { role: 'lead' } });
    expect(at - started).toBeGreaterThanOrEqual(3_600_000);
    expect(at - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(await b.listApprovals({ escalationDueBy: Date.now() })).toEqual([]);
    expect((await b.listApprovals({ escalationDueBy: at, tenant: 'acme' })).map((a) => a.runId)).toEqual([
      run.id,
    ]);

    await expect(b.reassignApproval(run.id, 'prep', { role: 'lead', by: 'sla' })).rejects.toMatchObject({
      code: 'RUN_NOT_WAITING',
    });
    await expect(b.reassignApproval(run.id, 'nope', { role: 'lead', by: 'sla' })).rejects.toMatchObject({
      code: 'STEP_NOT_FOUND',
    });
    await b.reassignApproval(run.id, 'ok', { role: 'lead', by: 'sla', escalation: true });
    expect(await b.listApprovals({ escalationDueBy: at, tenant: 'acme' })).toEqual([]);
    expect((await b.listApprovals({ role: 'lead' })).map((a) => a.runId)).toEqual([run.id]);
    const feed = await b.readFeed({ afterSeq: 0, types: ['approval-reassigned'] });
    expect(feed).toMatchObject([
      { runId: run.id, tenant: 'acme', workflow: 'appr-sla', data: { by: 'sla' } },
    ]);

    await b.decide(run.id, 'ok', { approved: true, by: 'lead-1' });
    expect((await b.waitForRun(run.id)).status).toBe('succeeded');
    expect((await b.listRuns({ waitingForApproval: true })).map((r) => r.id)).toEqual([other.id]);
    expect((await b.listApprovals()).map((a) => a.runId)).toEqual([other.id]);
  });

  it('takes an approval timeout default action', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'appr-to', version: '1', input: z.object({}) })
        .approval('ok', { prompt: 'Go?', timeout: '20ms', defaultAction: 'reject' })
        .build(),
    );
    b.worker({ pollMs: 10 });
    const done = await b.waitForRun((await b.submit('appr-to', {})).id);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('APPROVAL_REJECTED');
  });

  it('runs a child workflow, waits for its output, and enforces the depth limit', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'child', version: '1', input: z.object({ x: z.number() }) })
        .step('sq', { run: ({ input }) => input.x * input.x })
        .build(),
    );
    await b.register(
      workflow({ name: 'parent', version: '1', input: z.object({ x: z.number() }) })
        .child('c', { workflow: 'child', input: ({ input }) => ({ x: input.x }) })
        .build(),
    );
    await b.register(
      workflow({ name: 'recursive', version: '1', input: z.object({}) })
        .child('again', { workflow: 'recursive', input: () => ({}), maxDepth: 3 })
        .build(),
    );
    b.worker();
    const done = await b.waitForRun((await b.submit('parent', { x: 7 })).id);
    expect(done.output).toEqual({ c: { sq: 49 } });
    const children = await b.listRuns({ parentRunId: done.id });
    expect(children).toHaveLength(1);
    const rec = await b.waitForRun((await b.submit('recursive', {})).id);
    expect(rec.status).toBe('failed');
    expect(JSON.stringify(rec.error)).toContain('CHILD_DEPTH_EXCEEDED');
  });

  it('cancels a run, its waits and its children, and aborts running bodies', async () => {
    const b = await engine();
    let aborted = false;
    await b.register(
      workflow({ name: 'slow-child', version: '1', input: z.object({}) })
        .wait('forever', { event: () => 'never' })
        .build(),
    );
    await b.register(
      workflow({ name: 'cancel-me', version: '1', input: z.object({}) })
        .child('c', { workflow: 'slow-child', input: () => ({}) })
        .step('busy', {
          run: ({ signal }) =>
            new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                resolve('aborted');
              });
            }),
        })
        .build(),
    );
    b.worker({ leaseMs: 300, pollMs: 10 });
    const run = await b.submit('cancel-me', {});
    const children = await until('the child run', async () => {
      const found = await b.listRuns({ parentRunId: run.id });
      return found.length > 0 && found;
    });
    await b.cancel(run.id, 'no longer needed', 'ops');
    expect((await b.getRun(run.id)).status).toBe('cancelled');
    expect((await b.getRun(children[0]?.id as string)).status).toBe('cancelled');
    await until('the running body to be aborted', async () => aborted);
  });

  it('times out a step attempt through its AbortSignal', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'to', version: '1', input: z.object({}) })
        .step('slow', {
          timeout: 20,
          retry: { maxAttempts: 1 },
          run: ({ signal }) =>
            new Promise((_, rej) => signal.addEventListener('abort', () => rej(signal.reason))),
        })
        .build(),
    );
    b.worker();
    const done = await b.waitForRun((await b.submit('to', {})).id);
    expect(done.error?.code).toBe('STEP_TIMEOUT');
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'typed', version: '1', input: z.object({ n: z.number() }) })
        .step('s', { run: () => 1 })
        .build(),
    );
    await expect(b.submit('typed', { n: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(b.submit('nope', {})).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    await expect(b.getRun('run_missing')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(b.cancel('run_missing')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect(await b.listRuns()).toHaveLength(0);
  });

  it('versions: a changed definition is a new version, running runs stay pinned, versions diff', async () => {
    const b = await engine();
    const v1def = workflow({ name: 'ver', version: '1', input: z.object({}) })
      .step('a', { run: () => 'v1' })
      .build();
    const v1 = await b.register(v1def);
    expect((await b.register(v1def)).id).toBe(v1.id);
    const pinned = await b.submit('ver', {});
    const v2 = await b.register(
      workflow({ name: 'ver', version: '2', input: z.object({}) })
        .step('a', { run: () => 'v2' })
        .step('b', { needs: ['a'], run: () => 'new' })
        .build(),
    );
    expect(v2.id).toBe('ver@2');
    b.worker();
    expect((await b.waitForRun(pinned.id)).output).toEqual({ a: 'v1' });
    expect((await b.waitForRun((await b.submit('ver', {})).id)).output).toEqual({ b: 'new' });
    const diff = await b.diff(v1.id, v2.id);
    expect(diff.added).toEqual(['b']);
    expect(diff.changed.map((c) => c.stepId)).toEqual(['a']);
  });

  it('prunes finished runs older than the cutoff', async () => {
    const b = await engine();
    await b.register(
      workflow({ name: 'p', version: '1', input: z.object({}) })
        .step('s', { run: () => 1 })
        .build(),
    );
    b.worker();
    const run = await b.waitForRun((await b.submit('p', {})).id);
    expect((await b.prune(Date.now() - 60_000)).runs).toBe(0);
    expect((await b.prune(Date.now() + 1)).runs).toBe(1);
    await expect(b.getRun(run.id)).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect(await b.store.getHistory(run.id)).toHaveLength(0);
  });
});
