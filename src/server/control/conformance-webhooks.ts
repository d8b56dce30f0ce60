/**
 * The webhook subscription and delivery sections of the {@link ControlStore} conformance suite.
 * @module
 */
import { describe, expect } from 'vitest';
import { type ConformanceHarness, expectInvalid, T0 } from './conformance-harness.js';
import type { ControlStore, WebhookEvent } from './port.js';

const hook = (store: ControlStore, tenant = 'acme', events: WebhookEvent[] = ['run.failed']) =>
  store.createWebhook({ tenant, url: `https://${tenant}.example/hooks`, events });

const delivery = (subscriptionId: string, eventKey: string, tenant = 'acme') => ({
  subscriptionId,
  tenant,
  event: 'run.failed' as const,
  eventKey,
  payload: { runId: eventKey },
});

/** Tests of the webhook subscriptions. */
export function webhookCases({ test, open, clock }: ConformanceHarness): void {
  describe('webhooks', () => {
    test('createWebhook draws a whsec_ secret; list and get stay within the tenant', async () => {
      const store = await open();
      const a = await store.createWebhook({
        tenant: 'acme',
        url: 'https://acme.example/hooks',
        events: ['run.failed', 'run.succeeded', 'run.failed'],
        description: 'alerts',
      });
      expect(a).toEqual({
        id: expect.any(String),
        tenant: 'acme',
        url: 'https://acme.example/hooks',
        events: ['run.failed', 'run.succeeded'],
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
        description: 'alerts',
        createdAt: T0,
      });
      clock.t += 1;
      const b = await hook(store, 'acme', ['approval.requested']);
      expect(b.secret).not.toBe(a.secret);
      await hook(store, 'globex');
      expect(await store.listWebhooks('acme')).toEqual([a, b]);
      expect(await store.getWebhook('acme', a.id)).toEqual(a);
      expect(await store.getWebhook('globex', a.id)).toBeUndefined();
      expect(await store.getWebhook('acme', 'wh_nothing')).toBeUndefined();
      expect(await store.listWebhooks('initech')).toEqual([]);
    });

    test('a deleted subscription is listed no more and receives nothing; get shows when it went', async () => {
      const store = await open();
      const a = await hook(store);
      expect(await store.deleteWebhook('globex', a.id), 'other tenant').toBe(false);
      clock.t += 7;
      expect(await store.deleteWebhook('acme', a.id)).toBe(true);
      expect(await store.deleteWebhook('acme', a.id), 'twice').toBe(false);
      expect(await store.listWebhooks('acme')).toEqual([]);
      expect(await store.subscribersOf('acme', 'run.failed')).toEqual([]);
      expect(await store.getWebhook('acme', a.id)).toEqual({ ...a, deletedAt: T0 + 7 });
    });

    test('subscribersOf answers the live subscriptions of a tenant that want the event', async () => {
      const store = await open();
      const failed = await hook(store, 'acme', ['run.failed']);
      const both = await hook(store, 'acme', ['run.succeeded', 'run.failed']);
      await hook(store, 'acme', ['run.succeeded']);
      await hook(store, 'globex', ['run.failed']);
      const ids = async (event: WebhookEvent) =>
        (await store.subscribersOf('acme', event)).map((w) => w.id).sort();
      expect(await ids('run.failed')).toEqual([failed.id, both.id].sort());
      expect(await ids('approval.decided')).toEqual([]);
    });

    test('malformed subscriptions are refused, naming the field, and write nothing', async () => {
      const store = await open();
      const ok = {
        tenant: 'acme',
        url: 'https://acme.example/hooks',
        events: ['run.failed'] as WebhookEvent[],
      };
      await expectInvalid(store.createWebhook({ ...ok, tenant: '' }), 'tenant');
      await expectInvalid(store.createWebhook({ ...ok, url: 'ftp://acme.example/hooks' }), 'url', 'ftp');
      await expectInvalid(store.createWebhook({ ...ok, url: 'javascript:alert(1)' }), 'url', 'javascript');
      await expectInvalid(store.createWebhook({ ...ok, url: 'not a url' }), 'url', 'not a url');
      await expectInvalid(store.createWebhook({ ...ok, events: [] }), 'events', 'no events');
      await expectInvalid(store.createWebhook({ ...ok, events: ['run.exploded' as WebhookEvent] }), 'events');
      await expectInvalid(store.subscribersOf('acme', 'run.exploded' as WebhookEvent), 'event');
      expect(await store.listWebhooks('acme')).toEqual([]);
    });
  });
}

/** Tests of deliveries: enqueueing, leasing, attempts, listing and redelivery. */
export function deliveryCases({ test, open, clock }: ConformanceHarness): void {
  describe('deliveries', () => {
    test('enqueueDeliveries is idempotent on (subscription, eventKey) and counts the new ones', async () => {
      const store = await open();
      expect(await store.enqueueDeliveries([delivery('wh_1', 'run_1:4'), delivery('wh_1', 'run_2:4')])).toBe(
        2,
      );
      expect(
        await store.enqueueDeliveries([
          delivery('wh_1', 'run_1:4'),
          delivery('wh_2', 'run_1:4'),
          delivery('wh_2', 'run_1:4'),
        ]),
      ).toBe(1);
      expect(await store.enqueueDeliveries([])).toBe(0);
      const listed = await store.listDeliveries({ tenant: 'acme' });
      expect(listed).toHaveLength(3);
      expect(listed.find((d) => d.subscriptionId === 'wh_2')).toEqual({
        id: expect.any(String),
        ...delivery('wh_2', 'run_1:4'),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: T0,
        createdAt: T0,
      });
    });

    test('claimDeliveries leases due pending deliveries, oldest due first', async () => {
      const store = await open();
      await store.enqueueDeliveries([delivery('wh_1', 'b')]);
      clock.t = T0 - 10;
      await store.enqueueDeliveries([delivery('wh_1', 'a')]);
      clock.t = T0 + 10;
      await store.enqueueDeliveries([delivery('wh_1', 'c')]);
      const first = await store.claimDeliveries({ limit: 5, leaseMs: 1000, now: T0 });
      expect(first.map((d) => [d.eventKey, d.nextAttemptAt])).toEqual([
        ['a', T0 + 1000],
        ['b', T0 + 1000],
      ]);
      expect(
        await store
          .claimDeliveries({ limit: 5, leaseMs: 1000, now: T0 + 10 })
          .then((ds) => ds.map((d) => d.eventKey)),
      ).toEqual(['c']);
      expect(await store.claimDeliveries({ limit: 5, leaseMs: 1000, now: T0 + 999 })).toEqual([]);
      const again = await store.claimDeliveries({ limit: 1, leaseMs: 1000, now: T0 + 1000 });
      expect(
        again.map((d) => d.eventKey),
        'lease expired, limit 1',
      ).toEqual(['a']);
    });

    test('two stores claiming at once never lease the same delivery twice', async () => {
      const one = await open();
      const two = await open(true);
      const keys = Array.from({ length: 30 }, (_, i) => `run_${i}:1`);
      await one.enqueueDeliveries(keys.map((k) => delivery('wh_1', k)));
      const claimed: string[] = [];
      for (let round = 0; round < 10; round++) {
        const batches = await Promise.all(
          [one, two, one, two].map((s) => s.claimDeliveries({ limit: 2, leaseMs: 60_000, now: T0 })),
        );
        claimed.push(...batches.flat().map((d) => d.eventKey));
      }
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual([...keys].sort());
    });

    test('recordAttempt logs the attempt and sets the status, attempts and next attempt', async () => {
      const store = await open();
      await store.enqueueDeliveries([delivery('wh_1', 'run_1:1')]);
      const [d] = await store.claimDeliveries({ limit: 1, leaseMs: 1000, now: T0 });
      const id = d?.id as string;
      const refused = { at: T0, status: 503, durationMs: 12 };
      await store.recordAttempt(id, refused, { status: 'pending', retryAt: T0 + 5000 });
      let [listed] = await store.listDeliveries({ tenant: 'acme' });
      expect(listed).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: T0 + 5000,
        lastAttempt: refused,
      });
      expect(await store.claimDeliveries({ limit: 1, leaseMs: 1000, now: T0 + 4999 })).toEqual([]);
      expect(await store.claimDeliveries({ limit: 1, leaseMs: 1000, now: T0 + 5000 })).toHaveLength(1);
      const timeout = { at: T0 + 5000, error: 'timeout after 10000 ms', durationMs: 10_000 };
      await store.recordAttempt(id, timeout, { status: 'failed' });
      [listed] = await store.listDeliveries({ tenant: 'acme' });
      expect(listed?.status).toBe('failed');
      expect(listed?.attempts).toBe(2);
      expect(listed?.nextAttemptAt).toBeUndefined();
      expect(listed?.lastAttempt).toEqual(timeout);
      expect(await store.claimDeliveries({ limit: 1, leaseMs: 1000, now: T0 + 99_999 })).toEqual([]);
      expect(await store.deliveryAttempts('acme', id)).toEqual([refused, timeout]);
      expect(await store.deliveryAttempts('globex', id), 'other tenant').toEqual([]);
      await store.recordAttempt(id, { at: T0 + 6000, status: 200, durationMs: 3 }, { status: 'succeeded' });
      expect((await store.listDeliveries({ tenant: 'acme' }))[0]).toMatchObject({
        status: 'succeeded',
        attempts: 3,
      });
    });

    test('listDeliveries lists a tenant newest first, by subscription and status', async () => {
      const store = await open();
      await store.enqueueDeliveries([delivery('wh_1', 'k1'), delivery('wh_9', 'k1', 'globex')]);
      clock.t += 1;
      await store.enqueueDeliveries([delivery('wh_2', 'k2')]);
      clock.t += 1;
      await store.enqueueDeliveries([delivery('wh_1', 'k3')]);
      const [k3] = await store.listDeliveries({ tenant: 'acme', limit: 1 });
      await store.recordAttempt(
        k3?.id as string,
        { at: T0, durationMs: 1, status: 500 },
        { status: 'failed' },
      );
      const keys = async (q: object) =>
        (await store.listDeliveries({ tenant: 'acme', ...q })).map(
          (d) => `${d.subscriptionId}/${d.eventKey}`,
        );
      expect(await keys({})).toEqual(['wh_1/k3', 'wh_2/k2', 'wh_1/k1']);
      expect(await keys({ subscriptionId: 'wh_1' })).toEqual(['wh_1/k3', 'wh_1/k1']);
      expect(await keys({ status: 'pending' })).toEqual(['wh_2/k2', 'wh_1/k1']);
      expect(await keys({ status: 'failed', subscriptionId: 'wh_1' })).toEqual(['wh_1/k3']);
      expect(await keys({ limit: 1 })).toEqual(['wh_1/k3']);
    });

    test('redeliver makes a failed delivery pending and due at once, within its tenant only', async () => {
      const store = await open();
      await store.enqueueDeliveries([delivery('wh_1', 'k1')]);
      const [d] = await store.claimDeliveries({ limit: 1, leaseMs: 1000, now: T0 });
      const id = d?.id as string;
      await store.recordAttempt(
        id,
        { at: T0, error: 'connection refused', durationMs: 2 },
        { status: 'failed' },
      );
      expect(await store.redeliver('globex', id, T0 + 50)).toBeUndefined();
      expect(await store.redeliver('acme', 'dlv_nothing', T0 + 50)).toBeUndefined();
      expect((await store.listDeliveries({ tenant: 'acme' }))[0]?.status).toBe('failed');
      const again = await store.redeliver('acme', id, T0 + 50);
      expect(again).toMatchObject({ id, status: 'pending', nextAttemptAt: T0 + 50, attempts: 1 });
      const claimed = await store.claimDeliveries({ limit: 5, leaseMs: 1000, now: T0 + 50 });
      expect(claimed.map((c) => c.id)).toEqual([id]);
    });

    test('malformed deliveries and attempts are refused, naming the field, and write nothing', async () => {
      const store = await open();
      await expectInvalid(
        store.enqueueDeliveries([
          delivery('wh_1', 'k1'),
          { ...delivery('wh_1', 'k2'), event: 'run.exploded' as WebhookEvent },
        ]),
        'event',
      );
      await expectInvalid(store.enqueueDeliveries([{ ...delivery('wh_1', 'k1'), tenant: '' }]), 'tenant');
      await expectInvalid(store.enqueueDeliveries([{ ...delivery('wh_1', 'k1'), eventKey: '' }]), 'eventKey');
      expect(await store.listDeliveries({ tenant: 'acme' })).toEqual([]);
      await store.enqueueDeliveries([delivery('wh_1', 'k1')]);
      const [d] = await store.listDeliveries({ tenant: 'acme' });
      const id = d?.id as string;
      const bad = { status: 'gone' } as unknown as { status: 'failed' };
      await expectInvalid(store.recordAttempt(id, { at: T0, durationMs: 1 }, bad), 'status');
      await expectInvalid(
        store.recordAttempt(id, { at: T0, durationMs: -1 }, { status: 'failed' }),
        'durationMs',
      );
      await expectInvalid(store.claimDeliveries({ limit: 0, leaseMs: 1, now: T0 }), 'limit');
      await expectInvalid(store.listDeliveries({ tenant: '' }), 'tenant');
      expect(await store.listDeliveries({ tenant: 'acme' })).toEqual([d]);
      expect(await store.deliveryAttempts('acme', id)).toEqual([]);
    });
  });
}
