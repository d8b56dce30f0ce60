/**
 * Replay of a recorded run (fn, effect, llm and agent steps) on a real engine, gateway, agent store
 * and fake model: no model call, no effect, no tool call; divergence of a changed, a new and a
 * removed step reported against yesterday's run.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { useFakeModel } from '../gateway/harness.js';
import { useEngines } from '../helpers.js';
import { ledger, wire } from './replay-fork-harness.js';

const engine = useEngines();
const fake = useFakeModel();

async function recorded(...variants: Parameters<typeof wire>[2][]) {
  const b = await engine();
  const versions = await wire(b, fake, ...variants);
  const run = await b.waitForRun(
    (await b.submit('orders', { item: 'widget', qty: 2 }, { version: versions[0]?.id })).id,
  );
  expect(run.status).toBe('succeeded');
  return { b, run, versions };
}

const byStep = (steps: { stepId: string; status: string }[]) =>
  Object.fromEntries(steps.map((s) => [s.stepId, s.status]));

describe('replay', () => {
  it('re-executes a run on its own version with zero model calls, effects and tool calls: every step the same', async () => {
    const { b, run } = await recorded({ label: '1' });
    const calls = fake.up.requests.length;
    expect(calls).toBe(3); // summary, then the agent's two turns
    expect(ledger.effects).toHaveLength(1);
    expect(ledger.tools).toBe(1);
    const before = { ...ledger.bodies };

    const report = await b.replay(run.id);

    expect(fake.up.requests).toHaveLength(calls);
    expect(ledger.effects).toHaveLength(1);
    expect(ledger.tools).toBe(1);
    expect(report).toMatchObject({
      runId: run.id,
      recordedWith: 'orders@1',
      replayedWith: 'orders@1',
      diverged: false,
      output: { status: 'same' },
      modelCalls: 0,
      effects: 0,
      answeredFromRecording: 1,
      refusedModelCalls: 0,
    });
    expect(report.steps.map((s) => [s.stepId, s.status, s.mode])).toEqual([
      ['load', 'same', 'executed'],
      ['charge', 'same', 'recorded'],
      ['summary', 'same', 'answered'],
      ['helper', 'same', 'answered'],
      ['finish', 'same', 'executed'],
    ]);
    expect(report.steps.find((s) => s.stepId === 'summary')?.detail).toContain('same request');
    // Pure steps ran again; the effect did not.
    expect(ledger.bodies).toEqual({
      ...before,
      load: (before.load ?? 0) + 1,
      finish: (before.finish ?? 0) + 1,
    });
    // Nothing was written: the run and its history are as they were.
    expect((await b.listRuns()).map((r) => r.id)).toEqual([run.id]);
  });

  it('against a new version: the changed prompt diverges, an added step is new, a removed one missing, the rest the same', async () => {
    const { b, run, versions } = await recorded(
      { label: '1' },
      { label: '2', prompt: 'Describe in one line', extra: true, noFinish: true },
    );
    const calls = fake.up.requests.length;

    const report = await b.replay(run.id, { version: versions[1]?.id as string });

    expect(fake.up.requests).toHaveLength(calls);
    expect(ledger.effects).toHaveLength(1);
    expect(report.replayedWith).toBe('orders@2');
    expect(report.diverged).toBe(true);
    expect(byStep(report.steps)).toEqual({
      load: 'same',
      charge: 'same',
      summary: 'diverged',
      helper: 'same',
      extra: 'new',
      finish: 'missing',
    });
    expect(report.steps.find((s) => s.stepId === 'summary')?.detail).toContain('request differs');
    expect(report.steps.find((s) => s.stepId === 'extra')?.detail).toContain('executed');
    expect(report.steps.at(-1)).toMatchObject({ stepId: 'finish', status: 'missing', mode: 'absent' });
    // Without `finish`, the run's output is made of other sinks.
    expect(report.output).toMatchObject({ status: 'diverged' });
  });

  it('a changed input is reported on the step and on the steps that see it, without running the effect', async () => {
    const { b, run, versions } = await recorded({ label: '1' }, { label: '3', double: true });

    const report = await b.replay(run.id, { version: versions[1]?.id as string });

    expect(ledger.effects).toHaveLength(1);
    const load = report.steps.find((s) => s.stepId === 'load');
    const charge = report.steps.find((s) => s.stepId === 'charge');
    expect(load).toMatchObject({ status: 'diverged', detail: 'output differs' });
    expect(charge).toMatchObject({ status: 'diverged', mode: 'recorded' });
    expect(charge?.detail).toContain('input differs: output of load');
  });

  it('an agent step given another task diverges on its request, still answered from its journal alone', async () => {
    const { b, run, versions } = await recorded({ label: '1' }, { label: '4', task: 'Audit this order:' });
    const calls = fake.up.requests.length;

    const report = await b.replay(run.id, { version: versions[1]?.id as string });

    expect(fake.up.requests).toHaveLength(calls);
    expect(ledger.tools).toBe(1);
    expect(report.steps.find((s) => s.stepId === 'helper')).toMatchObject({
      status: 'diverged',
      mode: 'answered',
      detail: 'request differs from the recorded one',
    });
    expect(report.steps.filter((s) => s.status !== 'same').map((s) => s.stepId)).toEqual(['helper']);
  });

  it('refuses an unknown run and a version of another workflow with typed errors', async () => {
    const { b, run } = await recorded({ label: '1' });
    await expect(b.replay('run-nope')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    const other = await b.register(
      workflow({ name: 'other', version: '1', input: z.unknown() })
        .step('a', { run: () => 1 })
        .build(),
    );
    await expect(b.replay(run.id, { version: other.id })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
