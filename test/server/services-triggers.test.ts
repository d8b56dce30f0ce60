import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import type { Trigger } from '../../src/server/control/port.js';
import {
  type CronService,
  createEventTriggers,
  nextFireTime,
  startCronService,
} from '../../src/server/services/index.js';
import { type TestContext, useServerContexts } from './services-helpers.js';

const open = useServerContexts();
let services: CronService[] = [];
afterEach(async () => {
  for (const s of services) await s.stop();
  services = [];
});

function cron(t: TestContext, onError?: (e: unknown) => void): CronService {
  const s = startCronService(t.ctx, { intervalMs: 3_600_000, ...(onError ? { onError } : {}) });
  services.push(s);
  return s;
}

async function registerReport(t: TestContext): Promise<void> {
  await t.baton.register(
    workflow({ name: 'report', version: '1', input: z.object({ kind: z.string() }) })
      .step('noop', { run: () => 1 })
      .build(),
  );
}

async function cronTrigger(t: TestContext, schedule: string, tenant = 'acme'): Promise<Trigger> {
  return t.control.createTrigger({
    tenant,
    workflow: 'report',
    type: 'cron',
    schedule,
    timezone: 'UTC',
    input: { kind: 'daily' },
    enabled: true,
    nextFireAt: nextFireTime(schedule, 'UTC', t.clock.now()) as number,
  });
}

describe('nextFireTime', () => {
  const at = Date.UTC(2026, 10, 21, 10, 7, 30);

  it('computes the next fire time of 5 and 6 field schedules, in a time zone', () => {
    expect(nextFireTime('*/5 * * * *', 'UTC', at)).toBe(Date.UTC(2026, 10, 21, 10, 10));
    expect(nextFireTime('*/5 * * * *', undefined, Date.UTC(2026, 10, 21, 10, 10))).toBe(
      Date.UTC(2026, 10, 21, 10, 15),
    );
    expect(nextFireTime('0 */10 * * * *', 'UTC', at)).toBe(Date.UTC(2026, 10, 21, 10, 10));
    // 09:00 in Paris is 08:00 UTC in November.
    expect(nextFireTime('0 9 * * *', 'Europe/Paris', at)).toBe(Date.UTC(2026, 10, 22, 8, 0));
  });

  it('refuses malformed schedules and unknown time zones with INVALID_ARGUMENT', () => {
    expect(() => nextFireTime('every day', 'UTC', at)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => nextFireTime('* * * * * * * *', 'UTC', at)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => nextFireTime('0 9 * * *', 'Mars/Olympus', at)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('cron triggers', () => {
  it('fire at the due time, once, even with two schedulers ticking together', async () => {
    const t = await open();
    await registerReport(t);
    const trigger = await cronTrigger(t, '*/5 * * * *');
    const due = trigger.nextFireAt as number;
    const [a, b] = [cron(t), cron(t)];
    t.clock.t = due - 1;
    await Promise.all([a.tick(), b.tick()]);
    expect(await t.baton.listRuns({ tag: `trigger:${trigger.id}` })).toHaveLength(0);

    t.clock.t = due;
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    const runs = await t.baton.listRuns({ tag: `trigger:${trigger.id}` });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      workflow: 'report',
      tenant: 'acme',
      input: { kind: 'daily' },
      idempotencyKey: `trigger:${trigger.id}:${due}`,
    });
    const after = await t.control.getTrigger('acme', trigger.id);
    expect(after).toMatchObject({ lastFiredAt: due, nextFireAt: due + 5 * 60_000 });

    t.clock.t = due + 5 * 60_000;
    await a.tick();
    expect(await t.baton.listRuns({ tag: `trigger:${trigger.id}` })).toHaveLength(2);
  });

  it('fires once for fires missed while no server ran, then resumes on schedule', async () => {
    const t = await open();
    await registerReport(t);
    const trigger = await cronTrigger(t, '* * * * *');
    const due = trigger.nextFireAt as number;
    t.clock.t = due + 3 * 3_600_000 + 1000;
    const s = cron(t);
    await s.tick();
    await s.tick();
    const runs = await t.baton.listRuns({ tag: `trigger:${trigger.id}` });
    expect(runs.map((r) => r.idempotencyKey)).toEqual([`trigger:${trigger.id}:${due}`]);
    const after = await t.control.getTrigger('acme', trigger.id);
    expect(after?.nextFireAt).toBe(nextFireTime('* * * * *', 'UTC', t.clock.t));
  });

  it('re-submitting a fire after a crash between submit and claim starts no second run', async () => {
    const t = await open();
    await registerReport(t);
    const trigger = await cronTrigger(t, '*/5 * * * *');
    const due = trigger.nextFireAt as number;
    // The state a crash leaves: the run of this due time exists, the trigger was not claimed.
    await t.baton.submit(
      'report',
      { kind: 'daily' },
      { tenant: 'acme', idempotencyKey: `trigger:${trigger.id}:${due}` },
    );
    t.clock.t = due;
    await cron(t).tick();
    expect(await t.baton.listRuns({ tenant: 'acme' })).toHaveLength(1);
    expect((await t.control.getTrigger('acme', trigger.id))?.nextFireAt).toBe(due + 5 * 60_000);
  });

  it('skips disabled triggers, and reports a fire that cannot start without stopping the others', async () => {
    const t = await open();
    await registerReport(t);
    const good = await cronTrigger(t, '*/5 * * * *');
    const off = await cronTrigger(t, '*/5 * * * *');
    await t.control.updateTrigger('acme', off.id, { enabled: false });
    const broken = await t.control.createTrigger({
      tenant: 'acme',
      workflow: 'missing',
      type: 'cron',
      schedule: '*/5 * * * *',
      input: {},
      enabled: true,
      nextFireAt: good.nextFireAt as number,
    });
    const errors: unknown[] = [];
    t.clock.t = good.nextFireAt as number;
    await cron(t, (e) => errors.push(e)).tick();
    expect(await t.baton.listRuns({ tag: `trigger:${good.id}` })).toHaveLength(1);
    expect(await t.baton.listRuns({ tag: `trigger:${off.id}` })).toHaveLength(0);
    expect(errors).toEqual([expect.objectContaining({ code: 'WORKFLOW_NOT_FOUND' })]);
    // The broken trigger still moves on: it does not fail every tick.
    expect((await t.control.getTrigger('acme', broken.id))?.nextFireAt).toBeGreaterThan(t.clock.t);
  });
});

describe('event triggers', () => {
  async function setup(t: TestContext) {
    await t.baton.register(
      workflow({
        name: 'intake',
        version: '1',
        input: z.object({ mode: z.string(), event: z.object({ key: z.string(), payload: z.unknown() }) }),
      })
        .step('noop', { run: () => 1 })
        .build(),
    );
    const mk = (tenant: string, eventType: string, input: unknown) =>
      t.control.createTrigger({ tenant, workflow: 'intake', type: 'event', eventType, input, enabled: true });
    return {
      acme: await mk('acme', 'invoice.', { mode: 'acme' }),
      globex: await mk('globex', 'invoice.', { mode: 'globex' }),
      other: await mk('acme', 'order.', { mode: 'order' }),
    };
  }

  it('start their workflow with the event payload, in the caller tenant only', async () => {
    const t = await open();
    const { acme, globex } = await setup(t);
    const ids = await t.ctx.triggers.fire('invoice.received', { invoice: 7 }, 'acme');
    expect(ids).toHaveLength(1);
    const run = await t.baton.getRun(ids[0] as string);
    expect(run).toMatchObject({
      workflow: 'intake',
      tenant: 'acme',
      tags: [`trigger:${acme.id}`],
      input: { mode: 'acme', event: { key: 'invoice.received', payload: { invoice: 7 } } },
    });
    expect(await t.baton.listRuns({ tenant: 'globex' })).toHaveLength(0);
    expect(await t.baton.listRuns({ tag: `trigger:${globex.id}` })).toHaveLength(0);
    expect(await t.ctx.triggers.fire('shipment.sent', {}, 'acme')).toEqual([]);
    expect(await t.ctx.triggers.fire('invoice.received', {}, 'initech')).toEqual([]);
  });

  it('with an event id, a repeated publish starts nothing new; without one, each publish starts a run', async () => {
    const t = await open();
    const { acme } = await setup(t);
    const triggers = createEventTriggers(t.ctx);
    const first = await triggers.fire('invoice.received', { invoice: 1 }, 'acme', 'evt_1');
    const again = await triggers.fire('invoice.received', { invoice: 1 }, 'acme', 'evt_1');
    expect(again).toEqual(first);
    await triggers.fire('invoice.received', { invoice: 1 }, 'acme');
    await triggers.fire('invoice.received', { invoice: 1 }, 'acme');
    expect(await t.baton.listRuns({ tag: `trigger:${acme.id}` })).toHaveLength(3);
  });

  it('report a trigger that cannot start, and start the others', async () => {
    const t = await open();
    const { acme } = await setup(t);
    await t.control.createTrigger({
      tenant: 'acme',
      workflow: 'intake',
      type: 'event',
      eventType: 'invoice',
      input: { wrong: true },
      enabled: true,
    });
    const errors: { error: unknown; trigger: string }[] = [];
    const triggers = createEventTriggers(t.ctx, {
      onError: (error, trigger) => errors.push({ error, trigger: trigger.id }),
    });
    const ids = await triggers.fire('invoice.received', {}, 'acme');
    expect(ids).toHaveLength(1);
    expect((await t.baton.getRun(ids[0] as string)).tags).toEqual([`trigger:${acme.id}`]);
    expect(errors).toEqual([
      { error: expect.objectContaining({ code: 'INVALID_INPUT' }), trigger: expect.any(String) },
    ]);
  });
});
