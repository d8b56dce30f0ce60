/**
 * The cost model after a known set of runs and request-log entries (written through the real SQLite
 * ledger): percentiles, top steps and their shares, the window and the version; and `GET /v1/costs`.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Gateway } from '../../src/gateway/gateway.js';
import { createApiApp } from '../../src/server/app/index.js';
import type { ServerContext } from '../../src/server/context.js';
import { openSqliteControlStore } from '../../src/server/control/index.js';
import { costModel } from '../../src/telemetry/costs/cost-model.js';
import { useFakeModel } from '../gateway/harness.js';
import { openTelemetryFixture, type TelemetryFixture, WORK_SPEC } from './telemetry-fixture.js';

const T0 = Date.UTC(2026, 10, 21, 12);
const MIN = 60_000;

let fx: TelemetryFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** Ten runs of `triage`: run i (1..10) lasts i seconds, uses 100·i tokens in `plan` and 10 in `write`. */
async function tenRuns(f: TelemetryFixture) {
  const runs = [];
  for (let i = 1; i <= 10; i++) {
    runs.push(
      await f.finishRun({
        at: T0 + i * MIN,
        durationMs: i * 1000,
        calls: [
          { stepId: 'plan', tokens: 100 * i, costUsd: 0.01 * i },
          { stepId: 'write', tokens: 10, costUsd: 0.001 },
          ...(i === 10 ? [{ tokens: 5, costUsd: 0.5 }] : []),
        ],
      }),
    );
  }
  return runs;
}

describe('cost model', () => {
  test('percentiles of tokens, cost and duration per run, and the top steps', async () => {
    fx = await openTelemetryFixture(T0);
    await tenRuns(fx);
    // A call of no run, and one of another tenant's run: neither counts.
    await fx.logCalls(T0 + 5 * MIN, [{ stepId: 'plan', tokens: 9999, costUsd: 99 }]);
    await fx.finishRun({
      at: T0 + 11 * MIN,
      durationMs: 60_000,
      tenant: 'other',
      calls: [{ stepId: 'plan', costUsd: 7 }],
    });

    const model = await costModel(
      { baton: fx.baton, ledger: fx.ledger },
      { workflow: 'triage', since: T0, until: T0 + HOUR(), tenant: 'default' },
    );
    expect(model).toMatchObject({
      workflow: 'triage',
      version: 'triage@1',
      runs: 10,
      // Nearest rank over 10 runs: p50 is the 5th, p95 and p99 the 10th.
      tokens: { p50: 510, p95: 1015, p99: 1015 },
      durationMs: { p50: 5000, p95: 10_000, p99: 10_000 },
      usageLogged: true,
    });
    expect(model.costUsd.p50).toBeCloseTo(0.051, 10);
    expect(model.costUsd.p99).toBeCloseTo(0.601, 10);
    expect(model.totalCostUsd).toBeCloseTo(0.55 + 0.01 + 0.5, 10);
    expect(model.unattributedCostUsd).toBeCloseTo(0.5, 10);
    expect(model.topSteps.map((s) => [s.stepId, s.tokens, s.calls])).toEqual([
      ['plan', 5500, 10],
      ['write', 100, 10],
    ]);
    expect(model.topSteps[0]?.costUsd).toBeCloseTo(0.55, 10);
    expect(model.topSteps[0]?.share).toBeCloseTo(0.55 / 1.06, 10);

    // Every tenant: the other tenant's run joins, with its cost.
    const all = await costModel(
      { baton: fx.baton, ledger: fx.ledger },
      { workflow: 'triage', since: T0, until: T0 + HOUR() },
    );
    expect(all.runs).toBe(11);
    expect(all.durationMs.p99).toBe(60_000);
    expect(all.totalCostUsd).toBeCloseTo(8.06, 10);
  });

  test('the window and the version select the runs; no ledger means zero usage', async () => {
    fx = await openTelemetryFixture(T0);
    await tenRuns(fx);
    const late = await costModel(
      { baton: fx.baton, ledger: fx.ledger },
      { workflow: 'triage', since: T0 + 6 * MIN, until: T0 + HOUR() },
    );
    expect(late.runs).toBe(5);
    expect(late.durationMs.p50).toBe(8000);

    await fx.baton.register(
      WORK_SPEC('triage').replace("version: '1'", "version: '2'").replace('$input', '{ "v": 2 }'),
    );
    const v2 = await costModel(
      { baton: fx.baton, ledger: fx.ledger },
      { workflow: 'triage', since: T0, until: T0 + HOUR() },
    );
    expect({ version: v2.version, runs: v2.runs, topSteps: v2.topSteps }).toEqual({
      version: 'triage@2',
      runs: 0,
      topSteps: [],
    });
    for (const version of ['1', 'triage@1']) {
      const v1 = await costModel(
        { baton: fx.baton, ledger: fx.ledger },
        { workflow: 'triage', version, since: T0, until: T0 + HOUR() },
      );
      expect(v1.runs).toBe(10);
    }
    await expect(
      costModel({ baton: fx.baton }, { workflow: 'triage', version: '7', since: T0 }),
    ).rejects.toMatchObject({
      code: 'VERSION_NOT_FOUND',
    });
    await expect(costModel({ baton: fx.baton }, { workflow: 'nope', since: T0 })).rejects.toMatchObject({
      code: 'WORKFLOW_NOT_FOUND',
    });
    const noLedger = await costModel(
      { baton: fx.baton },
      { workflow: 'triage', version: '1', since: T0, until: T0 + HOUR() },
    );
    expect(noLedger).toMatchObject({ runs: 10, tokens: { p50: 0, p95: 0, p99: 0 }, usageLogged: false });
  });

  test('GET /v1/costs: the caller tenant’s models, one workflow or all, with a window', async () => {
    fx = await openTelemetryFixture(T0, ['triage', 'billing']);
    await tenRuns(fx);
    await fx.finishRun({
      at: T0 + 11 * MIN,
      durationMs: 1000,
      tenant: 'other',
      calls: [{ stepId: 'plan', costUsd: 7 }],
    });
    const gateway = Gateway.open({ ledger: fx.ledger });
    const control = await openSqliteControlStore({ path: join(fx.dataDir, 'control.db') });
    try {
      const now = T0 + 30 * MIN;
      const ctx: ServerContext = {
        baton: fx.baton,
        control,
        gateway,
        now: () => now,
        triggers: { fire: async () => [] },
      };
      const app = createApiApp(ctx, { rateLimit: false, logError: () => {} });
      const { secret } = await control.createKey({ tenant: 'default', name: 'viewer', roles: ['viewer'] });
      const get = async (query: string) => {
        const res = await app.request(`/v1/costs${query}`, {
          headers: { authorization: `Bearer ${secret}` },
        });
        return {
          status: res.status,
          body: (await res.json()) as { data: { workflow: string; runs: number; totalCostUsd: number }[] },
        };
      };
      const one = await get('?workflow=triage&window=1h');
      expect(one.status).toBe(200);
      expect(one.body.data).toHaveLength(1);
      expect(one.body.data[0]).toMatchObject({
        workflow: 'triage',
        version: 'triage@1',
        runs: 10,
        tokens: { p50: 510 },
      });
      expect(one.body.data[0]?.totalCostUsd).toBeCloseTo(1.06, 10);
      // The window counts back from the server's clock: 25 minutes back leaves runs 5 to 10.
      expect((await get('?workflow=triage&window=25m')).body.data[0]?.runs).toBe(6);
      const all = await get('');
      expect(all.body.data.map((m) => [m.workflow, m.runs]).sort()).toEqual([
        ['billing', 0],
        ['triage', 10],
      ]);
      // Every workflow's model shares one read of the usage: the same figures as asked alone.
      expect(all.body.data.find((m) => m.workflow === 'triage')?.totalCostUsd).toBeCloseTo(1.06, 10);
      const versionAlone = await get('?version=1');
      expect(versionAlone.status).toBe(400);
      expect(versionAlone.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
      expect((await get('?workflow=triage&window=soon')).status).toBe(400);
      expect((await get('?workflow=nope')).status).toBe(404);
      expect((await get('?workflow=triage&version=9')).status).toBe(404);
    } finally {
      await gateway.close();
      await control.close();
    }
  });
});

describe('the request log keeps the step', () => {
  const fake = useFakeModel();
  test('a call whose metadata names `baton.step` is logged with that step', async () => {
    fake.up.setScript({ text: 'ok', usage: { inputTokens: 10, outputTokens: 5 } });
    const forRun = fake.gw.gateway.forRun({ id: 'run_steps', tenant: 'default' });
    await forRun.chat({
      model: 'fast',
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { 'baton.step': 'plan' },
    });
    await forRun.chat({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    await fake.gw.gateway.flush();
    const usage = await fake.gw.ledger.runUsage({ since: 0, until: Date.now() + 1 });
    expect(usage.filter((u) => u.runId === 'run_steps')).toEqual([
      { runId: 'run_steps', calls: 1, errors: 0, tokens: 15, costUsd: expect.any(Number) },
      { runId: 'run_steps', stepId: 'plan', calls: 1, errors: 0, tokens: 15, costUsd: expect.any(Number) },
    ]);
  });
});

function HOUR() {
  return 60 * MIN;
}
