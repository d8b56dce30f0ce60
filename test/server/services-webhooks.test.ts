import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { NonRetryableError } from '../../src/core/errors.js';
import {
  signWebhook,
  startWebhookService,
  verifyWebhook,
  type WebhookPayload,
  type WebhookService,
  type WebhookServiceOptions,
} from '../../src/server/services/index.js';
import { until } from '../until.js';
import { type Receiver, startReceiver, type TestContext, useServerContexts } from './services-helpers.js';

const open = useServerContexts();
let receivers: Receiver[] = [];
let services: WebhookService[] = [];
afterEach(async () => {
  for (const s of services) await s.stop();
  for (const r of receivers) await r.close();
  services = [];
  receivers = [];
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

function service(t: TestContext, options: WebhookServiceOptions = {}): WebhookService {
  // A long interval: the test drives every round with tick().
  const s = startWebhookService(t.ctx, { intervalMs: 3_600_000, jitter: 0, ...options });
  services.push(s);
  return s;
}

/** What a receiver of the docs would do: recompute the HMAC of `t.body` with node:crypto alone. */
function recompute(secret: string, header: string, body: string): boolean {
  const t = /t=(\d+)/.exec(header)?.[1];
  const v1 = /v1=([0-9a-f]+)/.exec(header)?.[1];
  return v1 === createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

async function registerWorkflows(t: TestContext): Promise<void> {
  await t.baton.register(
    workflow({ name: 'ok', version: '1', input: z.object({ n: z.number() }) })
      .step('double', { run: ({ input }) => input.n * 2 })
      .build(),
  );
  await t.baton.register(
    workflow({ name: 'boom', version: '1', input: z.object({}) })
      .step('fail', {
        run: () => {
          throw new NonRetryableError('no luck');
        },
      })
      .build(),
  );
  await t.baton.register(
    workflow({ name: 'pay', version: '1', input: z.object({ amount: z.number() }) })
      .approval('ok', { prompt: 'Pay?', role: 'clerk', data: ({ input }) => ({ amount: input.amount }) })
      .build(),
  );
}

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = JSON.stringify({ id: 'e1', type: 'run.succeeded' });
  const now = 1_763_726_400_000;
  const t = now / 1000;

  it('verifies what it signed, and what node:crypto computes alone', () => {
    const header = signWebhook(secret, t, body);
    expect(header).toMatch(/^t=1763726400,v1=[0-9a-f]{64}$/);
    expect(recompute(secret, header, body)).toBe(true);
    expect(verifyWebhook(secret, header, body, { now: () => now })).toBe(true);
    expect(verifyWebhook(secret, header, Buffer.from(body), { now: () => now })).toBe(true);
    const own = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
    expect(verifyWebhook(secret, own, body, { now: () => now })).toBe(true);
  });

  it('rejects a tampered body, a wrong secret, a stale or future timestamp, and malformed headers', () => {
    const header = signWebhook(secret, t, body);
    const opts = { now: () => now };
    expect(verifyWebhook(secret, header, `${body} `, opts)).toBe(false);
    expect(verifyWebhook('whsec_other', header, body, opts)).toBe(false);
    expect(verifyWebhook(secret, header, body, { now: () => now + 301_000 })).toBe(false);
    expect(verifyWebhook(secret, header, body, { now: () => now - 301_000 })).toBe(false);
    expect(verifyWebhook(secret, header, body, { now: () => now + 290_000 })).toBe(true);
    expect(verifyWebhook(secret, header, body, { now: () => now + 20_000, toleranceSec: 10 })).toBe(false);
    for (const bad of [
      undefined,
      '',
      'garbage',
      `v1=${'0'.repeat(64)}`,
      `t=${t}`,
      `t=abc,v1=00`,
      `t=${t},v1=zz`,
    ]) {
      expect(verifyWebhook(secret, bad, body, opts)).toBe(false);
    }
    // A re-signed header with a fresh timestamp does not validate an old signature.
    const v1 = header.split('v1=')[1];
    expect(verifyWebhook(secret, `t=${t + 60},v1=${v1}`, body, { now: () => now + 60_000 })).toBe(false);
    // Several v1 (secret rotation): any match is enough.
    expect(verifyWebhook(secret, `t=${t},v1=${'0'.repeat(64)},v1=${v1}`, body, opts)).toBe(true);
  });
});

describe('webhook dispatcher', () => {
  it('delivers run and approval events, signed, to the subscribers of the run tenant only', async () => {
    const t = await open();
    await registerWorkflows(t);
    const acme = await receiver();
    const globex = await receiver();
    const picky = await receiver();
    const all = [
      'run.succeeded',
      'run.failed',
      'run.waiting',
      'approval.requested',
      'approval.decided',
    ] as const;
    const subA = await t.control.createWebhook({ tenant: 'acme', url: acme.url, events: [...all] });
    await t.control.createWebhook({ tenant: 'globex', url: globex.url, events: [...all] });
    await t.control.createWebhook({ tenant: 'acme', url: picky.url, events: ['run.failed'] });
    t.baton.worker({ pollMs: 10 });

    const ok = await t.baton.submit('ok', { n: 21 }, { tenant: 'acme', tags: ['x'] });
    const boom = await t.baton.submit('boom', {}, { tenant: 'acme' });
    const pay = await t.baton.submit('pay', { amount: 5 }, { tenant: 'acme' });
    await t.baton.waitForRun(ok.id);
    await t.baton.waitForRun(boom.id);
    await until('the approval to wait', async () => (await t.baton.getRun(pay.id)).status === 'waiting');
    await t.baton.decide(pay.id, 'ok', { approved: true, by: 'ann', comment: 'fine', data: { amount: 4 } });
    await t.baton.waitForRun(pay.id);

    await service(t).tick();

    const events = acme.received.map((r) => JSON.parse(r.body) as WebhookPayload);
    expect(events.map((e) => `${e.type} ${e.data.run.workflow}`).sort()).toEqual([
      'approval.decided pay',
      'approval.requested pay',
      'run.failed boom',
      'run.succeeded ok',
      'run.succeeded pay',
      'run.waiting pay',
    ]);
    expect(globex.received).toHaveLength(0);
    expect(picky.received.map((r) => JSON.parse(r.body).type)).toEqual(['run.failed']);

    for (const r of acme.received) {
      const header = String(r.headers['baton-signature']);
      expect(verifyWebhook(subA.secret, header, r.body)).toBe(true);
      expect(recompute(subA.secret, header, r.body)).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['baton-event']).toBe(JSON.parse(r.body).type);
      expect(r.headers['baton-delivery']).toMatch(/\S/);
    }

    const byType = (type: string) => events.find((e) => e.type === type && e.data.run.workflow !== 'ok');
    expect(events.find((e) => e.data.run.id === ok.id)).toMatchObject({
      tenant: 'acme',
      data: {
        run: { id: ok.id, status: 'succeeded', output: { double: 42 }, tags: ['x'], versionId: 'ok@1' },
      },
    });
    expect(byType('run.failed')).toMatchObject({
      data: { run: { id: boom.id, status: 'failed', error: { code: expect.any(String) } } },
    });
    expect(byType('run.waiting')).toMatchObject({
      data: { run: { id: pay.id, status: 'waiting' }, step: { id: 'ok' }, wait: { for: 'approval' } },
    });
    expect(byType('approval.requested')).toMatchObject({
      data: { step: { id: 'ok' }, approval: { prompt: 'Pay?', role: 'clerk', data: { amount: 5 } } },
    });
    expect(byType('approval.decided')).toMatchObject({
      data: {
        step: { id: 'ok' },
        decision: { approved: true, by: 'ann', comment: 'fine', data: { amount: 4 }, edited: true },
      },
    });
    const decided = byType('approval.decided');
    expect(Date.parse(decided?.data.decision?.at ?? '')).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('reports a cancelled run as run.failed with status cancelled', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.failed'] });
    const run = await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' });
    await t.baton.cancel(run.id, 'not needed');
    await service(t).tick();
    expect(r.received.map((x) => JSON.parse(x.body))).toMatchObject([
      { type: 'run.failed', data: { run: { id: run.id, status: 'cancelled' } } },
    ]);
  });

  it('delivers an event once per subscription, even when the feed is read again by two dispatchers', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    const sub = await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.succeeded'] });
    t.baton.worker({ pollMs: 10 });
    for (const n of [1, 2, 3])
      await t.baton.waitForRun((await t.baton.submit('ok', { n }, { tenant: 'acme' })).id);

    const [a, b] = [service(t), service(t)];
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    // Back to the start of the feed: a dispatcher that lost its cursor re-reads everything.
    const c = service(t, { cursor: 'another' });
    await c.tick();
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((x) => x.headers['baton-delivery'])).size).toBe(3);
    const deliveries = await t.control.listDeliveries({ tenant: 'acme', subscriptionId: sub.id });
    expect(deliveries.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(await t.control.readCursor('webhooks')).toBeGreaterThan(0);
  });

  it('re-reads a window behind its cursor, so an event committed late with a lower seq is still sent', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.succeeded'] });
    t.baton.worker({ pollMs: 10 });
    const run = await t.baton.waitForRun((await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' })).id);
    const seq = (await t.baton.history(run.id)).at(-1)?.seq ?? 0;
    // As if another dispatcher had already seen a higher seq committed before this one.
    await t.control.advanceCursor('webhooks', seq + 50);
    await service(t, { window: 100 }).tick();
    expect(r.received).toHaveLength(1);
    expect(await t.control.readCursor('webhooks')).toBe(seq + 50);
  });

  it('fails the deliveries of a deleted subscription without sending them', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    const sub = await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.succeeded'] });
    t.baton.worker({ pollMs: 10 });
    await t.baton.waitForRun((await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' })).id);
    await t.control.enqueueDeliveries([
      { subscriptionId: sub.id, tenant: 'acme', event: 'run.succeeded', eventKey: 'manual', payload: {} },
    ]);
    await t.control.deleteWebhook('acme', sub.id);
    await service(t).tick();
    expect(r.received).toHaveLength(0);
    const deliveries = await t.control.listDeliveries({ tenant: 'acme', subscriptionId: sub.id });
    expect(deliveries.map((d) => [d.eventKey, d.status])).toEqual([['manual', 'failed']]);
  });

  it('does not send a subscription events from before it existed', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    t.baton.worker({ pollMs: 10 });
    await t.baton.waitForRun((await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' })).id);
    t.clock.advance(60_000);
    await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.succeeded'] });
    await service(t).tick();
    expect(r.received).toHaveLength(0);
  });

  it('retries a failing receiver with backoff, logs every attempt, and gives up after the last attempt', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    const sub = await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.succeeded'] });
    t.baton.worker({ pollMs: 10 });
    await t.baton.waitForRun((await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' })).id);
    const s = service(t, { backoffMs: [1000, 5000], maxAttempts: 3 });

    r.respond(500);
    await s.tick();
    expect(r.received).toHaveLength(1);
    await s.tick(); // not due yet
    expect(r.received).toHaveLength(1);
    t.clock.advance(999);
    await s.tick();
    expect(r.received).toHaveLength(1);
    t.clock.advance(1);
    r.respond(200);
    await s.tick();
    expect(r.received).toHaveLength(2);
    expect(r.received[0]?.headers['baton-delivery']).toBe(r.received[1]?.headers['baton-delivery']);
    expect(r.received[0]?.headers['baton-signature']).not.toBe(r.received[1]?.headers['baton-signature']);
    const [delivery] = await t.control.listDeliveries({ tenant: 'acme', subscriptionId: sub.id });
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
    const attempts = await t.control.deliveryAttempts('acme', delivery?.id ?? '');
    expect(attempts.map((a) => a.status)).toEqual([500, 200]);
    expect(attempts[0]?.error).toMatch(/500/);

    // A second run, against a receiver that always fails: 3 attempts (1 s, then 5 s apart), then failed.
    await t.baton.waitForRun((await t.baton.submit('ok', { n: 2 }, { tenant: 'acme' })).id);
    r.respond(503);
    await s.tick();
    t.clock.advance(1000);
    await s.tick();
    t.clock.advance(4999);
    await s.tick();
    expect(r.received).toHaveLength(4);
    t.clock.advance(1);
    await s.tick();
    expect(r.received).toHaveLength(5);
    t.clock.advance(3_600_000);
    await s.tick();
    expect(r.received).toHaveLength(5);
    const failed = await t.control.listDeliveries({ tenant: 'acme', status: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attempts).toBe(3);
    expect(await t.control.deliveryAttempts('acme', failed[0]?.id ?? '')).toHaveLength(3);

    // Manual redelivery: pending again, sent on the next round.
    r.respond(204);
    expect(await t.control.redeliver('acme', failed[0]?.id ?? '', t.clock.now())).toMatchObject({
      status: 'pending',
    });
    await s.tick();
    expect(r.received).toHaveLength(6);
    expect(await t.control.listDeliveries({ tenant: 'acme', status: 'failed' })).toHaveLength(0);
  });

  it('spreads retries with jitter', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    r.respond(500);
    await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.succeeded'] });
    t.baton.worker({ pollMs: 10 });
    await t.baton.waitForRun((await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' })).id);
    await service(t, { backoffMs: [10_000], jitter: 0.5, random: () => 0 }).tick();
    const [d] = await t.control.listDeliveries({ tenant: 'acme' });
    expect(d?.nextAttemptAt).toBe(t.clock.now() + 5000);
  });

  it('does not follow redirects, times out a silent receiver, and survives a refused connection', async () => {
    const t = await open();
    await registerWorkflows(t);
    const redirecting = await receiver();
    const silent = await receiver();
    const gone = await receiver();
    redirecting.respond(302);
    silent.respond('hang');
    await gone.close();
    for (const url of [redirecting.url, silent.url, gone.url]) {
      await t.control.createWebhook({ tenant: 'acme', url, events: ['run.succeeded'] });
    }
    t.baton.worker({ pollMs: 10 });
    await t.baton.waitForRun((await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' })).id);
    await service(t, { timeoutMs: 300 }).tick();
    const deliveries = await t.control.listDeliveries({ tenant: 'acme' });
    expect(deliveries).toHaveLength(3);
    const errors = await Promise.all(
      deliveries.map(async (d) => (await t.control.deliveryAttempts('acme', d.id))[0]?.error ?? ''),
    );
    expect(errors.sort()).toEqual([
      expect.stringMatching(/ECONNREFUSED/),
      expect.stringMatching(/^redirect to .* not followed$/),
      expect.stringMatching(/^timeout/),
    ]);
    expect(deliveries.every((d) => d.status === 'pending')).toBe(true);
  });

  it('runs on its own interval, and stops cleanly', async () => {
    const t = await open();
    await registerWorkflows(t);
    const r = await receiver();
    await t.control.createWebhook({ tenant: 'acme', url: r.url, events: ['run.succeeded'] });
    t.baton.worker({ pollMs: 10 });
    const errors: unknown[] = [];
    service(t, { intervalMs: 20, onError: (e) => errors.push(e) });
    await t.baton.waitForRun((await t.baton.submit('ok', { n: 1 }, { tenant: 'acme' })).id);
    await until('the delivery', async () => r.received.length === 1);
    expect(errors).toEqual([]);
  });
});
