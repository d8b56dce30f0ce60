/**
 * The conformance suite of the {@link ControlStore} port. Every adapter runs it unchanged; a skip must
 * state its reason. What only one adapter can show (its raw tables, its migrations) stays in that
 * adapter's test file. Keys and audit are in `conformance-keys.ts`, webhooks and deliveries in
 * `conformance-webhooks.ts`, triggers and cursors in `conformance-triggers.ts`.
 * @example
 * controlStoreConformance('my-adapter', async () => {
 *   const db = await makeEmptyDatabase();
 *   return { open: (options) => openMyControlStore({ ...options, url: db.url }), cleanup: db.drop };
 * });
 * @module
 */
import { describe, expect } from 'vitest';
import { adapterHarness } from '../../testing/adapter-conformance.js';
import {
  type ConformanceHarness,
  type ControlStoreConformanceSkip,
  type ControlStoreStorage,
  T0,
} from './conformance-harness.js';
import { auditCases, keyCases } from './conformance-keys.js';
import { cursorCases, triggerCases } from './conformance-triggers.js';
import { deliveryCases, webhookCases } from './conformance-webhooks.js';

export type { ControlStoreConformanceSkip, ControlStoreStorage } from './conformance-harness.js';

/**
 * Runs the ControlStore conformance suite against the adapter whose fresh storage `storage` makes
 * (called once per test).
 */
export function controlStoreConformance(
  name: string,
  storage: () => Promise<ControlStoreStorage>,
  options: { skip?: ControlStoreConformanceSkip[] } = {},
): void {
  describe(`ControlStore conformance: ${name}`, () => {
    const harness: ConformanceHarness = adapterHarness(storage, options.skip, T0);
    const { test, open } = harness;
    keyCases(harness);
    auditCases(harness);
    webhookCases(harness);
    deliveryCases(harness);
    triggerCases(harness);
    cursorCases(harness);

    describe('lifecycle', () => {
      test('what one store wrote, the next one opened on the same storage reads', async () => {
        const first = await open();
        const { key, secret } = await first.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
        const hook = await first.createWebhook({
          tenant: 'acme',
          url: 'http://localhost:9/h',
          events: ['run.waiting'],
        });
        await first.close();
        const second = await open(true);
        expect(await second.findKeyBySecret(secret)).toEqual({ ...key, lastUsedAt: T0 });
        expect(await second.listWebhooks('acme')).toEqual([hook]);
        // Opening again does not migrate twice nor lose anything.
        const third = await open(true);
        expect(await third.hasNoKeys()).toBe(false);
      });

      test('a closed store refuses work with STORE_UNAVAILABLE; closing twice is fine', async () => {
        const store = await open();
        const { key, secret } = await store.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
        await store.close();
        await store.close();
        const d = {
          subscriptionId: 'wh_1',
          tenant: 'acme',
          event: 'run.failed' as const,
          eventKey: 'k',
          payload: 1,
        };
        const calls: [string, () => Promise<unknown>][] = [
          ['createKey', () => store.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] })],
          ['findKeyBySecret', () => store.findKeyBySecret(secret)],
          ['findKeyBySecret malformed', () => store.findKeyBySecret('nope')],
          ['listKeys', () => store.listKeys()],
          ['revokeKey', () => store.revokeKey('acme', key.id)],
          ['hasNoKeys', () => store.hasNoKeys()],
          [
            'appendAudit',
            () =>
              store.appendAudit({
                at: T0,
                tenant: 'acme',
                actor: 'a',
                action: 'x',
                target: 't',
                details: {},
              }),
          ],
          ['listAudit', () => store.listAudit({ tenant: 'acme' })],
          [
            'createWebhook',
            () => store.createWebhook({ tenant: 'acme', url: 'https://x.example', events: ['run.failed'] }),
          ],
          ['listWebhooks', () => store.listWebhooks('acme')],
          ['getWebhook', () => store.getWebhook('acme', 'wh_1')],
          ['deleteWebhook', () => store.deleteWebhook('acme', 'wh_1')],
          ['subscribersOf', () => store.subscribersOf('acme', 'run.failed')],
          ['enqueueDeliveries', () => store.enqueueDeliveries([d])],
          ['enqueueDeliveries empty', () => store.enqueueDeliveries([])],
          ['claimDeliveries', () => store.claimDeliveries({ limit: 1, leaseMs: 1, now: T0 })],
          [
            'recordAttempt',
            () => store.recordAttempt('dlv_1', { at: T0, durationMs: 1 }, { status: 'failed' }),
          ],
          ['listDeliveries', () => store.listDeliveries({ tenant: 'acme' })],
          ['deliveryAttempts', () => store.deliveryAttempts('acme', 'dlv_1')],
          ['redeliver', () => store.redeliver('acme', 'dlv_1', T0)],
          [
            'createTrigger',
            () =>
              store.createTrigger({
                tenant: 'acme',
                workflow: 'w',
                type: 'event',
                eventType: 'x',
                input: {},
                enabled: true,
              }),
          ],
          ['listTriggers', () => store.listTriggers({})],
          ['getTrigger', () => store.getTrigger('acme', 'trg_1')],
          ['updateTrigger', () => store.updateTrigger('acme', 'trg_1', { enabled: false })],
          ['deleteTrigger', () => store.deleteTrigger('acme', 'trg_1')],
          ['claimDueCron', () => store.claimDueCron(T0, () => undefined)],
          ['eventTriggersFor', () => store.eventTriggersFor('x')],
          ['readCursor', () => store.readCursor('c')],
          ['advanceCursor', () => store.advanceCursor('c', 1)],
        ];
        for (const [what, call] of calls) {
          await expect(call(), what).rejects.toMatchObject({ name: 'BatonError', code: 'STORE_UNAVAILABLE' });
        }
      });
    });
  });
}
