/**
 * `POST /v1/runs/{id}/replay` and `POST /v1/runs/{id}/fork` over a real engine, in memory: roles,
 * tenant scope, the report, the forked run, and the typed refusals.
 */
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/types.js';
import type { ReplayReport } from '../../src/runtime/replay/index.js';
import { APPROVAL_SPEC, type ApiHarness, ECHO_SPEC, useApiHarness } from '../server/api-harness.js';

const open = useApiHarness();

/** `payout` with its last step an effect. */
const PAYOUT_EFFECT = APPROVAL_SPEC.replace("version: '1'", "version: '2'").replace(
  '    needs: [review]\n',
  '    needs: [review]\n    effect: true\n',
);

async function paidRun(h: ApiHarness): Promise<Run> {
  const run = await h.baton.submit('payout', { amount: 5 }, { tenant: 'acme', version: 'payout@1' });
  for (let i = 0; i < 200 && (await h.baton.getRun(run.id)).status !== 'waiting'; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await h.baton.decide(run.id, 'review', { approved: true, by: 'ann' });
  return h.baton.waitForRun(run.id, { timeoutMs: 5000 });
}

describe('replay and fork over HTTP', () => {
  it('replays a run of the tenant for operators, not for viewers nor for another tenant', async () => {
    const h = await open({ specs: [ECHO_SPEC, APPROVAL_SPEC] });
    const run = await paidRun(h);
    const operator = await h.keyFor('operator');

    const res = await h.json<ReplayReport>('POST', `/v1/runs/${run.id}/replay`, { key: operator, body: {} });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ runId: run.id, diverged: false, modelCalls: 0, effects: 0 });
    expect(res.body.steps.map((s) => [s.stepId, s.status, s.mode])).toEqual([
      ['prepare', 'same', 'executed'],
      ['review', 'same', 'recorded'],
      ['pay', 'same', 'executed'],
    ]);
    const viewer = await h.keyFor('viewer');
    expect((await h.json('POST', `/v1/runs/${run.id}/replay`, { key: viewer })).status).toBe(403);
    const other = await h.keyFor('admin', 'other-corp');
    const foreign = await h.json('POST', `/v1/runs/${run.id}/replay`, { key: other });
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'RUN_NOT_FOUND' } } });
  });

  it('forks from a step: the steps before it reused, the fork tagged; effects refused with 409 unless allowed', async () => {
    const h = await open({ specs: [ECHO_SPEC, APPROVAL_SPEC, PAYOUT_EFFECT] });
    const run = await paidRun(h);
    const key = await h.keyFor('operator');

    const forked = await h.json<{ run: Run; reused: string[]; executed: string[] }>(
      'POST',
      `/v1/runs/${run.id}/fork`,
      { key, body: { fromStep: 'pay' } },
    );
    expect(forked.status).toBe(202);
    expect(forked.headers.get('location')).toBe(`/v1/runs/${forked.body.run.id}`);
    expect(forked.body).toMatchObject({ reused: ['prepare', 'review'], executed: ['pay'] });
    expect(forked.body.run.tags).toEqual([`forked-from:${run.id}@pay`]);
    const done = await h.baton.waitForRun(forked.body.run.id, { timeoutMs: 5000 });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual(run.output);

    const refused = await h.json('POST', `/v1/runs/${run.id}/fork`, {
      key,
      body: { fromStep: 'pay', version: 2 },
    });
    expect(refused).toMatchObject({
      status: 409,
      body: { error: { code: 'FORK_EFFECTS_REFUSED', details: { effects: ['pay'] } } },
    });
    const allowed = await h.json('POST', `/v1/runs/${run.id}/fork`, {
      key,
      body: { fromStep: 'pay', version: 'payout@2', allowEffects: true },
    });
    expect(allowed.status).toBe(202);

    const unknown = await h.json('POST', `/v1/runs/${run.id}/fork`, { key, body: { fromStep: 'nope' } });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'STEP_NOT_FOUND' } } });
    const audit = await h.control.listAudit({ tenant: 'acme', action: 'run.fork' });
    expect(audit).toHaveLength(2);
  });
});
