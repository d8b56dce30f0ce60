/**
 * Fork of a recorded run from step N on a real engine: the steps before N keep their recorded
 * outputs and are not executed again (their bodies are counted), N onward runs live; effects that
 * would run are refused before anything starts, and run when allowed; an unknown step is a typed error.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModel } from '../gateway/harness.js';
import { useEngines } from '../helpers.js';
import { ledger, wire } from './replay-fork-harness.js';

const engine = useEngines();
const fake = useFakeModel();

async function recorded() {
  const b = await engine();
  const versions = await wire(b, fake, { label: '1' }, { label: '2', prompt: 'Describe in one line' });
  const run = await b.waitForRun(
    (await b.submit('orders', { item: 'widget', qty: 2 }, { version: versions[0]?.id, tags: ['team:a'] })).id,
  );
  expect(run.status).toBe('succeeded');
  return { b, run, versions };
}

describe('fork', () => {
  it('reuses the outputs before the step (bodies not called again) and runs the step and what follows live', async () => {
    const { b, run } = await recorded();
    const calls = fake.up.requests.length;
    const bodies = { ...ledger.bodies };

    const fork = await b.fork(run.id, { fromStep: 'summary', version: 'orders@2' });
    const done = await b.waitForRun(fork.run.id);

    expect(done.status).toBe('succeeded');
    expect(fork.reused.sort()).toEqual(['charge', 'load']);
    expect(fork.executed).toEqual(['summary', 'helper', 'finish']);
    expect(fork.effects).toEqual([]);
    expect(done.tags).toEqual(['team:a', `forked-from:${run.id}@summary`]);
    expect(done.versionId).toBe('orders@2');
    // load and charge were not executed; finish was, once; the effect did not run again.
    expect(ledger.bodies).toEqual({ ...bodies, finish: (bodies.finish ?? 0) + 1 });
    expect(ledger.effects).toHaveLength(1);
    // summary and the agent called the model live, with the new prompt.
    expect(fake.up.requests.length).toBe(calls + 3);
    const sent = fake.up.requests[calls]?.body as { messages: { content: string }[] };
    expect(sent.messages[0]?.content).toBe('Describe in one line widget');
    const steps = new Map((await b.steps(done.id)).map((s) => [s.stepId, s]));
    const recordedSteps = new Map((await b.steps(run.id)).map((s) => [s.stepId, s]));
    expect(steps.get('charge')).toMatchObject({ status: 'succeeded', attempt: 0 });
    expect(steps.get('charge')?.output).toEqual(recordedSteps.get('charge')?.output);
    const reused = (await b.history(done.id)).filter((e) => e.type === 'step-reused');
    expect(reused.map((e) => [e.stepId, e.data])).toEqual([
      ['load', { fromRun: run.id }],
      ['charge', { fromRun: run.id }],
    ]);
  });

  it('refuses effects at or after the step before starting anything, and runs them when allowed', async () => {
    const { b, run } = await recorded();
    const runs = (await b.listRuns()).length;

    await expect(b.fork(run.id, { fromStep: 'load' })).rejects.toMatchObject({
      code: 'FORK_EFFECTS_REFUSED',
      details: { effects: ['charge'] },
    });
    expect(await b.listRuns()).toHaveLength(runs);
    expect(ledger.effects).toHaveLength(1);

    const fork = await b.fork(run.id, {
      fromStep: 'load',
      input: { item: 'gadget', qty: 3 },
      allowEffects: true,
    });
    const done = await b.waitForRun(fork.run.id);
    expect(done.status).toBe('succeeded');
    expect(fork.reused).toEqual([]);
    expect(fork.effects).toEqual(['charge']);
    expect(ledger.effects).toEqual([`${run.id}:charge`, `${done.id}:charge`]);
    expect(done.input).toEqual({ item: 'gadget', qty: 3 });
    expect((done.output as { finish: { charged: unknown } }).finish.charged).toEqual({ charged: 30 });
  });

  it('an unknown step and an unknown run are typed errors', async () => {
    const { b, run } = await recorded();
    await expect(b.fork(run.id, { fromStep: 'nope' })).rejects.toMatchObject({
      code: 'STEP_NOT_FOUND',
      details: { steps: ['load', 'charge', 'summary', 'helper', 'finish'] },
    });
    await expect(b.fork('run-nope', { fromStep: 'load' })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});
