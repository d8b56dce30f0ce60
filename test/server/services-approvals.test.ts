import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import {
  type ApprovalSlaService,
  startApprovalSlaService,
  startServices,
  startWebhookService,
  type WebhookPayload,
} from '../../src/server/services/index.js';
import { until } from '../until.js';
import { startReceiver, type TestContext, useServerContexts } from './services-helpers.js';

const open = useServerContexts();
let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops) await stop();
  stops = [];
});

function sla(t: TestContext): ApprovalSlaService {
  const s = startApprovalSlaService(t.ctx, { intervalMs: 3_600_000 });
  stops.push(s.stop);
  return s;
}

async function waitingApproval(t: TestContext) {
  await t.baton.register(
    workflow({ name: 'refund', version: '1', input: z.object({ amount: z.number() }) })
      .approval('ok', { prompt: 'Refund?', role: 'clerk', escalate: { after: '10m', role: 'manager' } })
      .build(),
  );
  t.baton.worker({ pollMs: 10 });
  const run = await t.baton.submit('refund', { amount: 50 }, { tenant: 'acme' });
  await until('the approval to wait', async () => (await t.baton.getRun(run.id)).status === 'waiting');
  return run;
}

const reassigned = async (t: TestContext, runId: string) =>
  (await t.baton.history(runId)).filter((e) => e.type === 'approval-reassigned');

describe('approval SLA', () => {
  it('escalates an undecided approval to its escalation role once its delay has passed, once', async () => {
    const t = await open();
    const run = await waitingApproval(t);
    const [a, b] = [sla(t), sla(t)];

    t.clock.advance(9 * 60_000);
    await a.tick();
    expect((await t.baton.listApprovals({ tenant: 'acme' }))[0]?.request.role).toBe('clerk');
    expect(await reassigned(t, run.id)).toHaveLength(0);

    t.clock.advance(2 * 60_000);
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    const [pending] = await t.baton.listApprovals({ tenant: 'acme' });
    expect(pending?.request).toMatchObject({
      role: 'manager',
      escalation: { role: 'manager', escalated: true },
    });
    expect(await t.baton.listApprovals({ role: 'manager' })).toHaveLength(1);
    const events = await reassigned(t, run.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      stepId: 'ok',
      data: {
        by: 'sla',
        role: 'manager',
        escalation: true,
        comment: 'escalated after 10 min without a decision',
      },
    });
    const audit = await t.control.listAudit({ tenant: 'acme', action: 'approval.escalate' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'system',
      target: `${run.id}/ok`,
      at: t.clock.now(),
      details: { from: { role: 'clerk' }, to: { role: 'manager' } },
    });

    // A manager decides: the run goes on as usual.
    await t.baton.decide(run.id, 'ok', { approved: true, by: 'boss' });
    expect((await t.baton.waitForRun(run.id)).status).toBe('succeeded');
  });

  it('does not escalate an approval decided in time', async () => {
    const t = await open();
    const run = await waitingApproval(t);
    await t.baton.decide(run.id, 'ok', { approved: false, by: 'clerk-1' });
    t.clock.advance(60 * 60_000);
    await sla(t).tick();
    expect(await reassigned(t, run.id)).toHaveLength(0);
    expect(await t.control.listAudit({ tenant: 'acme' })).toHaveLength(0);
  });

  it('takes the default action at the deadline, and tells the webhook subscribers who decided', async () => {
    const t = await open();
    await t.baton.register(
      workflow({ name: 'auto', version: '1', input: z.object({}) })
        .approval('ok', { prompt: 'Go?', timeout: '50ms', defaultAction: 'approve' })
        .build(),
    );
    const receiver = await startReceiver();
    stops.push(receiver.close);
    await t.control.createWebhook({
      tenant: 'acme',
      url: receiver.url,
      events: ['approval.decided', 'run.succeeded'],
    });
    const services = startServices(t.ctx, {
      webhooks: { intervalMs: 3_600_000 },
      cron: false,
      approvals: { intervalMs: 3_600_000 },
    });
    stops.push(services.stop);
    t.baton.worker({ pollMs: 10 });
    const run = await t.baton.submit('auto', {}, { tenant: 'acme' });
    expect((await t.baton.waitForRun(run.id)).status).toBe('succeeded');
    await services.tick();
    const events = receiver.received.map((r) => JSON.parse(r.body) as WebhookPayload);
    expect(events.map((e) => e.type).sort()).toEqual(['approval.decided', 'run.succeeded']);
    expect(events.find((e) => e.type === 'approval.decided')?.data.decision).toMatchObject({
      approved: true,
      by: 'system:timeout',
    });
  });

  it('starts every service on its interval, and stops them together', async () => {
    const t = await open();
    const ticks = { cron: 0, approvals: 0 };
    const counting = (name: keyof typeof ticks) => () => {
      ticks[name]++;
      return t.clock.now();
    };
    const errors: unknown[] = [];
    const services = startServices(t.ctx, {
      webhooks: { intervalMs: 5 },
      cron: { intervalMs: 5, now: counting('cron') },
      approvals: { intervalMs: 5, now: counting('approvals') },
      onError: (e) => errors.push(e),
    });
    await until('each loop to tick twice', async () => ticks.cron >= 2 && ticks.approvals >= 2);
    await services.stop();
    const after = { ...ticks };
    await services.tick();
    expect(ticks).toEqual(after);
    expect(errors).toEqual([]);
    await startWebhookService(t.ctx, { intervalMs: 5 }).stop();
  });
});
