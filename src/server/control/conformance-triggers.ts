/**
 * The trigger and cursor sections of the {@link ControlStore} conformance suite.
 * @module
 */
import { describe, expect } from 'vitest';
import { type ConformanceHarness, expectInvalid, T0 } from './conformance-harness.js';
import type { ControlStore, Trigger } from './port.js';

type NewTrigger = Parameters<ControlStore['createTrigger']>[0];

const cron = (over: Partial<NewTrigger> = {}): NewTrigger => ({
  tenant: 'acme',
  workflow: 'nightly-report',
  type: 'cron',
  schedule: '0 2 * * *',
  input: { full: true },
  enabled: true,
  nextFireAt: T0,
  ...over,
});

const onEvent = (eventType: string, over: Partial<NewTrigger> = {}): NewTrigger => ({
  tenant: 'acme',
  workflow: 'invoice-intake',
  type: 'event',
  eventType,
  input: {},
  enabled: true,
  ...over,
});

const MINUTE = 60_000;

/** Tests of triggers: CRUD per tenant, claiming due cron fires, matching events. */
export function triggerCases({ test, open, clock }: ConformanceHarness): void {
  describe('triggers', () => {
    test('create, get, list, update and delete, each within its tenant', async () => {
      const store = await open();
      const c = await store.createTrigger(cron());
      expect(c).toEqual({ id: expect.any(String), ...cron(), timezone: 'UTC', createdAt: T0 });
      clock.t += 1;
      const e = await store.createTrigger(onEvent('invoice.'));
      const g = await store.createTrigger(cron({ tenant: 'globex', timezone: 'Europe/Paris' }));
      expect(g.timezone).toBe('Europe/Paris');
      expect(e.timezone).toBeUndefined();
      expect(await store.getTrigger('acme', c.id)).toEqual(c);
      expect(await store.getTrigger('globex', c.id)).toBeUndefined();
      expect(await store.listTriggers({ tenant: 'acme' })).toEqual([c, e]);
      expect(await store.listTriggers({ type: 'cron' })).toEqual([c, g]);
      expect(await store.listTriggers({ tenant: 'acme', type: 'event' })).toEqual([e]);
      expect(await store.listTriggers({})).toHaveLength(3);
      expect(await store.updateTrigger('globex', c.id, { enabled: false })).toBeUndefined();
      expect(await store.updateTrigger('acme', c.id, { enabled: false })).toEqual({ ...c, enabled: false });
      const updated = await store.updateTrigger('acme', c.id, { input: { full: false } });
      expect(updated).toEqual({ ...c, enabled: false, input: { full: false } });
      expect(await store.updateTrigger('acme', c.id, {})).toEqual(updated);
      expect(await store.deleteTrigger('globex', c.id)).toBe(false);
      expect(await store.deleteTrigger('acme', c.id)).toBe(true);
      expect(await store.deleteTrigger('acme', c.id)).toBe(false);
      expect(await store.getTrigger('acme', c.id)).toBeUndefined();
    });

    test('claimDueCron returns each due trigger once, moving nextFireAt and setting lastFiredAt', async () => {
      const store = await open();
      const later = await store.createTrigger(cron({ nextFireAt: T0 + 100 }));
      const first = await store.createTrigger(cron({ tenant: 'globex', nextFireAt: T0 }));
      const notYet = await store.createTrigger(cron({ nextFireAt: T0 + 101 }));
      await store.createTrigger(cron({ enabled: false }));
      await store.createTrigger(onEvent('invoice.'));
      const seen: Trigger[] = [];
      const next = (t: Trigger) => {
        seen.push(t);
        return (t.nextFireAt as number) + MINUTE;
      };
      const claimed = await store.claimDueCron(T0 + 100, next);
      expect(seen.map((t) => t.nextFireAt).sort()).toEqual([T0, T0 + 100]);
      expect(claimed).toEqual([
        { ...first, nextFireAt: T0 + MINUTE, lastFiredAt: T0 },
        { ...later, nextFireAt: T0 + 100 + MINUTE, lastFiredAt: T0 + 100 },
      ]);
      expect(await store.claimDueCron(T0 + 100, next)).toEqual([]);
      expect(await store.getTrigger('acme', later.id)).toEqual(claimed[1]);
      const again = await store.claimDueCron(T0 + MINUTE, next);
      expect(again.map((t) => t.id)).toEqual([notYet.id, first.id]);
    });

    test('a trigger whose next fire is undefined never fires again', async () => {
      const store = await open();
      const once = await store.createTrigger(cron());
      const claimed = await store.claimDueCron(T0, () => undefined);
      const { nextFireAt: _, ...never } = once;
      expect(claimed).toEqual([{ ...never, lastFiredAt: T0 }]);
      expect(await store.claimDueCron(T0 + 365 * 24 * 60 * MINUTE, () => T0)).toEqual([]);
      expect((await store.getTrigger('acme', once.id))?.nextFireAt).toBeUndefined();
    });

    test('two stores claiming at once fire each due trigger once', async () => {
      const one = await open();
      const two = await open(true);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await one.createTrigger(cron({ nextFireAt: T0 + i }))).id);
      const next = (t: Trigger) => (t.nextFireAt as number) + MINUTE;
      const fired: string[] = [];
      for (let round = 0; round < 3; round++) {
        const batches = await Promise.all([one, two, one, two].map((s) => s.claimDueCron(T0 + 20, next)));
        fired.push(...batches.flat().map((t) => t.id));
      }
      expect(fired.sort()).toEqual(ids.sort());
    });

    test('eventTriggersFor matches enabled event triggers by prefix, across tenants', async () => {
      const store = await open();
      const prefix = await store.createTrigger(onEvent('invoice.'));
      clock.t += 1;
      const exact = await store.createTrigger(onEvent('invoice.received', { tenant: 'globex' }));
      await store.createTrigger(onEvent('invoice.paid'));
      await store.createTrigger(onEvent('invoice.', { enabled: false }));
      await store.createTrigger(cron());
      const ids = async (key: string) => (await store.eventTriggersFor(key)).map((t) => t.id);
      expect(await ids('invoice.received')).toEqual([prefix.id, exact.id]);
      expect(await ids('invoice.rejected')).toEqual([prefix.id]);
      expect(await ids('invoice')).toEqual([]);
      expect(await ids('order.invoice.received')).toEqual([]);
    });

    test('malformed triggers are refused, naming the field, and write nothing', async () => {
      const store = await open();
      await expectInvalid(store.createTrigger(cron({ tenant: '' })), 'tenant');
      await expectInvalid(store.createTrigger(cron({ workflow: '' })), 'workflow');
      await expectInvalid(store.createTrigger(cron({ type: 'webhook' as Trigger['type'] })), 'type');
      const { schedule: _, ...noSchedule } = cron();
      await expectInvalid(store.createTrigger(noSchedule), 'schedule', 'cron without a schedule');
      await expectInvalid(store.createTrigger(cron({ schedule: '* * *' })), 'schedule', '3 fields');
      await expectInvalid(
        store.createTrigger(cron({ eventType: 'invoice.' })),
        'eventType',
        'cron with eventType',
      );
      await expectInvalid(store.createTrigger(cron({ timezone: 'Mars/Olympus' })), 'timezone');
      await expectInvalid(store.createTrigger(onEvent('')), 'eventType', 'event without eventType');
      await expectInvalid(
        store.createTrigger(onEvent('x', { schedule: '* * * * *' })),
        'schedule',
        'event with schedule',
      );
      await expectInvalid(store.createTrigger(cron({ enabled: 'yes' as unknown as boolean })), 'enabled');
      await expectInvalid(store.createTrigger(cron({ nextFireAt: 1.5 })), 'nextFireAt');
      const ok = await store.createTrigger(cron());
      await expectInvalid(
        store.updateTrigger('acme', ok.id, { enabled: 1 as unknown as boolean }),
        'enabled',
      );
      await expectInvalid(
        store.claimDueCron(T0, () => Number.NaN),
        'next fire time',
      );
      expect(await store.listTriggers({})).toEqual([ok]);
    });
  });
}

/** Tests of the named cursors. */
export function cursorCases({ test, open }: ConformanceHarness): void {
  describe('cursors', () => {
    test('a cursor starts at 0, only moves forward, and is shared by every store', async () => {
      const one = await open();
      const two = await open(true);
      expect(await one.readCursor('webhooks')).toBe(0);
      await one.advanceCursor('webhooks', 42);
      expect(await two.readCursor('webhooks')).toBe(42);
      await two.advanceCursor('webhooks', 7);
      expect(await one.readCursor('webhooks')).toBe(42);
      await two.advanceCursor('webhooks', 2 ** 40);
      expect(await one.readCursor('webhooks')).toBe(2 ** 40);
      expect(await one.readCursor('other')).toBe(0);
      await expectInvalid(one.advanceCursor('', 1), 'cursor name');
      await expectInvalid(one.advanceCursor('webhooks', 1.5), 'cursor value');
    });
  });
}
