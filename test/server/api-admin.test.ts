import { describe, expect, it } from 'vitest';
import type { AuditEntry, Delivery, Trigger } from '../../src/server/control/port.js';
import { useApiHarness } from './api-harness.js';

const open = useApiHarness();

describe('triggers API', () => {
  it('creates a cron trigger with its next fire time, lists, disables and deletes it', async () => {
    const now = Date.UTC(2026, 10, 21, 8, 30);
    const h = await open({ worker: false, now: () => now });
    const key = await h.keyFor('developer');
    const viewer = await h.keyFor('viewer');
    const created = await h.json<Trigger>('POST', '/v1/triggers', {
      key,
      body: { type: 'cron', workflow: 'echo', schedule: '0 9 * * *', input: { daily: true } },
    });
    expect(created).toMatchObject({
      status: 201,
      body: {
        type: 'cron',
        schedule: '0 9 * * *',
        timezone: 'UTC',
        enabled: true,
        nextFireAt: Date.UTC(2026, 10, 21, 9),
      },
    });
    const id = created.body.id;
    expect(
      (await h.json<{ data: Trigger[] }>('GET', '/v1/triggers?type=cron', { key: viewer })).body.data,
    ).toHaveLength(1);
    expect(
      (await h.json<{ data: Trigger[] }>('GET', '/v1/triggers?type=event', { key: viewer })).body.data,
    ).toEqual([]);
    const off = await h.json<Trigger>('PATCH', `/v1/triggers/${id}`, { key, body: { enabled: false } });
    expect(off).toMatchObject({ status: 200, body: { enabled: false } });
    expect((await h.json<Trigger>('GET', `/v1/triggers/${id}`, { key: viewer })).body.enabled).toBe(false);
    expect((await h.call('DELETE', `/v1/triggers/${id}`, { key })).status).toBe(204);
    expect((await h.json('GET', `/v1/triggers/${id}`, { key })).status).toBe(404);
    expect((await h.json('DELETE', `/v1/triggers/${id}`, { key })).status).toBe(404);
    // Sorted: with a frozen clock, entries of the same millisecond have no defined order.
    const actions = (await h.control.listAudit({ tenant: 'acme' })).map((e) => e.action).sort();
    expect(actions).toEqual(['trigger.create', 'trigger.delete', 'trigger.update']);
  });

  it('refuses a bad cron expression, time zone or workflow', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('developer');
    const bad = await h.json('POST', '/v1/triggers', {
      key,
      body: { type: 'cron', workflow: 'echo', schedule: '61 * * * *' },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'schedule' }] } } },
    });
    const zone = await h.json('POST', '/v1/triggers', {
      key,
      body: { type: 'cron', workflow: 'echo', schedule: '* * * * *', timezone: 'Mars/Olympus' },
    });
    expect(zone.status).toBe(400);
    const unknown = await h.json('POST', '/v1/triggers', {
      key,
      body: { type: 'event', workflow: 'nope', eventType: 'x' },
    });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'WORKFLOW_NOT_FOUND' } } });
    const mixed = await h.json('POST', '/v1/triggers', {
      key,
      body: { type: 'event', workflow: 'echo', schedule: '* * * * *' },
    });
    expect(mixed.status).toBe(400);
  });

  it('keeps triggers per tenant', async () => {
    const h = await open({ worker: false });
    const acme = await h.keyFor('admin', 'acme');
    const globex = await h.keyFor('admin', 'globex');
    const t = await h.json<Trigger>('POST', '/v1/triggers', {
      key: acme,
      body: { type: 'event', workflow: 'echo', eventType: 'x' },
    });
    expect((await h.json<{ data: Trigger[] }>('GET', '/v1/triggers', { key: globex })).body.data).toEqual([]);
    expect((await h.json('GET', `/v1/triggers/${t.body.id}`, { key: globex })).status).toBe(404);
    expect(
      (await h.json('PATCH', `/v1/triggers/${t.body.id}`, { key: globex, body: { enabled: false } })).status,
    ).toBe(404);
    expect((await h.json('DELETE', `/v1/triggers/${t.body.id}`, { key: globex })).status).toBe(404);
  });
});

describe('webhooks API', () => {
  it('creates a subscription whose secret is shown once, lists and deletes it', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('developer');
    const created = await h.json<{ id: string; secret: string }>('POST', '/v1/webhooks', {
      key,
      body: {
        url: 'https://example.test/hook',
        events: ['run.succeeded', 'approval.requested'],
        description: 'ops',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/\S{16,}/);
    const { id, secret } = created.body;
    const list = await h.call('GET', '/v1/webhooks', { key });
    const text = await list.text();
    expect(text).toContain(id);
    expect(text).not.toContain(secret);
    const one = await h.json<Record<string, unknown>>('GET', `/v1/webhooks/${id}`, { key });
    expect(one.body).toMatchObject({
      id,
      url: 'https://example.test/hook',
      events: ['run.succeeded', 'approval.requested'],
    });
    expect(one.body).not.toHaveProperty('secret');
    const audit = await h.control.listAudit({ tenant: 'acme', action: 'webhook.create' });
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect((await h.call('DELETE', `/v1/webhooks/${id}`, { key })).status).toBe(204);
    expect((await h.json('GET', `/v1/webhooks/${id}`, { key })).status).toBe(404);
  });

  it('validates subscriptions', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('admin');
    for (const body of [
      { url: 'ftp://example.test', events: ['run.failed'] },
      { url: 'not a url', events: ['run.failed'] },
      { url: 'https://example.test', events: [] },
      { url: 'https://example.test', events: ['run.exploded'] },
    ]) {
      const res = await h.json('POST', '/v1/webhooks', { key, body });
      expect([body, res.status]).toEqual([body, 400]);
    }
  });

  it('shows deliveries with their attempts and redelivers', async () => {
    let now = 1_800_000_000_000;
    const h = await open({ worker: false, now: () => now });
    const key = await h.keyFor('operator');
    const admin = await h.keyFor('admin');
    const hook = await h.json<{ id: string }>('POST', '/v1/webhooks', {
      key: admin,
      body: { url: 'https://example.test/hook', events: ['run.failed'] },
    });
    await h.control.enqueueDeliveries([
      {
        subscriptionId: hook.body.id,
        tenant: 'acme',
        event: 'run.failed',
        eventKey: 'r1:9',
        payload: { runId: 'r1' },
      },
    ]);
    const [claimed] = await h.control.claimDeliveries({ limit: 1, leaseMs: 1000, now });
    await h.control.recordAttempt(
      claimed?.id as string,
      { at: now, status: 500, durationMs: 12 },
      { status: 'failed' },
    );

    const log = await h.json<{ data: Delivery[] }>('GET', `/v1/webhooks/${hook.body.id}/deliveries`, { key });
    expect(log.body.data).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 1, event: 'run.failed' }),
    ]);
    const failed = await h.json<{ data: Delivery[] }>(
      'GET',
      `/v1/webhooks/${hook.body.id}/deliveries?status=pending`,
      { key },
    );
    expect(failed.body.data).toEqual([]);
    const id = log.body.data[0]?.id as string;
    const one = await h.json('GET', `/v1/deliveries/${id}`, { key });
    expect(one).toMatchObject({ status: 200, body: { id, attemptLog: [{ status: 500, durationMs: 12 }] } });

    now += 1000;
    const again = await h.json('POST', `/v1/deliveries/${id}/redeliver`, { key });
    expect(again).toMatchObject({ status: 202, body: { id, status: 'pending' } });
    expect((await h.control.listAudit({ tenant: 'acme', action: 'delivery.redeliver' }))[0]?.target).toBe(id);

    const globex = await h.keyFor('admin', 'globex');
    expect((await h.json('GET', `/v1/deliveries/${id}`, { key: globex })).status).toBe(404);
    expect((await h.json('POST', `/v1/deliveries/${id}/redeliver`, { key: globex })).status).toBe(404);
    expect((await h.json('GET', `/v1/webhooks/${hook.body.id}/deliveries`, { key: globex })).status).toBe(
      404,
    );
  });
});

describe('keys and audit API', () => {
  it('lets an admin create, list and revoke keys of its tenant; the secret only at creation', async () => {
    const h = await open({ worker: false });
    const admin = await h.keyFor('admin');
    const created = await h.json<{ key: { id: string; prefix: string }; secret: string }>(
      'POST',
      '/v1/keys',
      {
        key: admin,
        body: { name: 'ci', roles: ['developer', 'viewer'] },
      },
    );
    expect(created).toMatchObject({
      status: 201,
      body: { key: { name: 'ci', tenant: 'acme', roles: ['developer', 'viewer'] } },
    });
    const { secret, key } = created.body;
    expect(secret.startsWith(key.prefix)).toBe(true);
    expect((await h.json('GET', '/v1/workflows', { key: secret })).status).toBe(200);

    const list = await h.call('GET', '/v1/keys', { key: admin });
    const text = await list.text();
    expect(text).toContain(key.id);
    expect(text).not.toContain(secret);

    const globex = await h.keyFor('admin', 'globex');
    expect((await h.json('DELETE', `/v1/keys/${key.id}`, { key: globex })).status).toBe(404);
    expect(
      (await h.json<{ data: { id: string }[] }>('GET', '/v1/keys', { key: globex })).body.data.map(
        (k) => k.id,
      ),
    ).not.toContain(key.id);
    expect((await h.json('DELETE', `/v1/keys/${key.id}`, { key: admin })).status).toBe(200);
    expect((await h.json('GET', '/v1/workflows', { key: secret })).status).toBe(401);

    const bad = await h.json('POST', '/v1/keys', { key: admin, body: { name: 'x', roles: ['root'] } });
    expect(bad.status).toBe(400);
    const past = await h.json('POST', '/v1/keys', {
      key: admin,
      body: { name: 'x', roles: ['viewer'], expiresAt: 1 },
    });
    expect(past).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    const dev = await h.keyFor('developer');
    expect(
      (await h.json('POST', '/v1/keys', { key: dev, body: { name: 'x', roles: ['admin'] } })).status,
    ).toBe(403);
    expect((await h.json('GET', '/v1/keys', { key: dev })).status).toBe(403);
  });

  it('lists the audit log of the tenant with filters and a cursor, never secrets', async () => {
    const h = await open({ worker: false });
    const admin = await h.keyFor('admin');
    const secrets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.json<{ secret: string }>('POST', '/v1/keys', {
        key: admin,
        body: { name: `k${i}`, roles: ['viewer'] },
      });
      secrets.push(res.body.secret);
    }
    await h.json('POST', '/v1/runs', { key: admin, body: { workflow: 'echo', input: {} } });

    const all = await h.json<{ data: AuditEntry[]; next_cursor: string | null }>('GET', '/v1/audit', {
      key: admin,
    });
    expect(all.body.data.map((e) => e.action)).toEqual([
      'run.submit',
      'key.create',
      'key.create',
      'key.create',
    ]);
    for (const s of secrets) expect(JSON.stringify(all.body)).not.toContain(s);
    const keys = await h.json<{ data: AuditEntry[] }>('GET', '/v1/audit?action=key.create', { key: admin });
    expect(keys.body.data).toHaveLength(3);

    const first = await h.json<{ data: AuditEntry[]; next_cursor: string | null }>(
      'GET',
      '/v1/audit?limit=2',
      { key: admin },
    );
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toBe(first.body.data[1]?.id);
    const second = await h.json<{ data: AuditEntry[]; next_cursor: string | null }>(
      'GET',
      `/v1/audit?limit=2&cursor=${first.body.next_cursor}`,
      { key: admin },
    );
    expect([...first.body.data, ...second.body.data]).toEqual(all.body.data);

    const globex = await h.keyFor('admin', 'globex');
    expect((await h.json<{ data: AuditEntry[] }>('GET', '/v1/audit', { key: globex })).body.data).toEqual([]);
    const viewer = await h.keyFor('viewer');
    expect((await h.json('GET', '/v1/audit', { key: viewer })).status).toBe(403);
  });
});
