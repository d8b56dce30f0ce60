/**
 * Tenant isolation: two tenants, each with one of everything (runs finished, waiting for an event and
 * waiting for an approval, triggers, webhooks with a delivery, keys, audit entries). Tenant B's admin
 * calls every operation of the API on its own resources and on A's: nothing of A shows in B's answers,
 * A's ids are answered exactly like unknown ids, and A's state is the same afterwards.
 *
 * One test per operation, from the access table (which `api-rbac.test.ts` checks against the OpenAPI
 * document): a new operation gets its test at once, and fails until it is classified here.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Run } from '../../src/core/types.js';
import { OPERATION_IDS, type OperationId } from '../../src/server/app/index.js';
import type { Trigger } from '../../src/server/control/port.js';
import { until } from '../until.js';
import {
  type ApiHarness,
  type ApiOperation,
  apiOperations,
  ECHO_SPEC,
  openApiHarness,
  type SeededIds,
  seededPath,
} from './api-harness.js';

const A = 'alpha-corp';
const B = 'beta-corp';
/** The server's clock is frozen so that A's state reads the same twice (ages, last use of keys). */
const NOW = Date.now();

/** Workflows are global definitions shared by every tenant: B reads them like A does. */
const GLOBAL: readonly OperationId[] = [
  'workflows.list',
  'workflows.get',
  'workflows.diff',
  'workflows.register',
  'workflows.validate',
];

/** A valid body for each write on an existing resource (`null`: none), so that validation passes. */
const WRITE_BODIES: Partial<Record<OperationId, Record<string, unknown> | null>> = {
  'runs.cancel': { reason: 'by beta' },
  'runs.rerun': null,
  'runs.replay': null,
  'runs.fork': { fromStep: 'review' },
  'approvals.decide': { decision: 'approve', comment: 'by beta' },
  'approvals.reassign': { assignee: 'mallory' },
  'triggers.update': { enabled: false, input: { by: 'beta' } },
  'triggers.delete': null,
  'webhooks.delete': null,
  'deliveries.redeliver': null,
  'keys.revoke': null,
};

/** A valid body for each write that creates or publishes in the caller's tenant. */
const CREATE_BODIES: Partial<Record<OperationId, Record<string, unknown> | string>> = {
  'workflows.register': ECHO_SPEC,
  'workflows.validate': ECHO_SPEC,
  'runs.submit': { workflow: 'echo', input: { by: 'beta' } },
  'events.publish': { key: 'go', payload: { by: 'beta' } },
  'triggers.create': { type: 'event', workflow: 'echo', eventType: 'seed' },
  'webhooks.create': { url: 'https://beta.test/hook', events: ['run.failed'] },
  'keys.create': { name: 'beta-key', roles: ['viewer'] },
};

/** Filters tried on every list, besides none. */
const LIST_QUERIES: Partial<Record<OperationId, (a: Tenant) => string[]>> = {
  'runs.list': (a) => [
    '?status=waiting_for_approval',
    '?status=waiting,succeeded',
    '?workflow=payout',
    '?workflow=waiter',
    `?cursor=${a.ids.runId}`,
    `?version=payout@1`,
  ],
  'approvals.list': (a) => [
    '?workflow=payout',
    '?role=finance',
    '?minAgeMs=0',
    `?cursor=${a.ids.runId}/review`,
  ],
  'triggers.list': () => ['?type=event'],
  'audit.list': (a) => [
    `?actor=${a.adminKeyId}`,
    '?action=run.submit',
    `?target=${a.ids.runId}`,
    ...[...a.allIds].filter((id) => id.startsWith('aud_')).map((id) => `?cursor=${id}`),
  ],
};

interface Tenant {
  name: string;
  admin: string;
  adminKeyId: string;
  ids: SeededIds;
  /** Every id of the tenant's resources, as the tenant's own lists show them. */
  allIds: Set<string>;
}

let h: ApiHarness;
let a: Tenant;
let b: Tenant;
const operations = new Map<OperationId, ApiOperation>();
/** A's state as A reads it, before B does anything. */
let before: Map<OperationId, unknown>;

/** One of everything in `tenant`, some of it made through the API so that it has audit entries. */
async function seedTenant(tenant: string): Promise<Tenant> {
  const ids = await h.seed(tenant);
  const created = await h.control.createKey({ tenant, name: `admin@${tenant}`, roles: ['admin'] });
  const admin = created.secret;
  const post = async (path: string, body: unknown) => {
    const res = await h.json<{ id: string }>('POST', path, { key: admin, body });
    expect([path, res.status]).toEqual([path, res.status < 300 ? res.status : 'a 2xx']);
    return res.body;
  };
  const waiter = await post('/v1/runs', { workflow: 'waiter', input: {} });
  const echo = await post('/v1/runs', { workflow: 'echo', input: { n: 1 } });
  await post('/v1/triggers', { type: 'cron', workflow: 'echo', schedule: '0 9 * * *' });
  await post('/v1/webhooks', { url: `https://${tenant}.test/hook`, events: ['run.succeeded'] });
  await post('/v1/keys', { name: 'ops', roles: ['operator'] });
  await post('/v1/events', { key: 'nothing-waits-on-this' });
  await until('the seeded runs to settle', async () => {
    const [w, e] = [await h.baton.getRun(waiter.id), await h.baton.getRun(echo.id)];
    return w.status === 'waiting' && e.status === 'succeeded';
  });
  const allIds = new Set<string>();
  for (const path of ['/v1/runs', '/v1/approvals', '/v1/triggers', '/v1/webhooks', '/v1/keys', '/v1/audit']) {
    const res = await h.json<{ data: { id?: string; runId?: string }[] }>('GET', path, { key: admin });
    for (const item of res.body.data) allIds.add((item.id ?? item.runId) as string);
  }
  allIds.add(ids.deliveryId);
  allIds.add(ids.keyId);
  return { name: tenant, admin, adminKeyId: created.key.id, ids, allIds };
}

/** Sends a request; the body of a stream is cancelled (a waiting run's stream would not end). */
async function send(
  op: ApiOperation,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await h.call(op.method.toUpperCase(), path, {
    key,
    ...(body === undefined || body === null ? {} : { body }),
    ...(typeof body === 'string' ? { headers: { 'content-type': 'text/yaml' } } : {}),
  });
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, text: '' };
  }
  return { status: res.status, text: await res.text() };
}

/** Everything A can read, as A reads it. */
async function stateOf(t: Tenant): Promise<Map<OperationId, unknown>> {
  const state = new Map<OperationId, unknown>();
  for (const op of operations.values()) {
    if (op.method !== 'get' || op.operationId === 'runs.stream') continue;
    const { status, text } = await send(op, seededPath(op, t.ids), t.admin);
    state.set(op.operationId, { status, body: text ? JSON.parse(text) : undefined });
  }
  return state;
}

/** Fails when `text` (an answer to B) names any resource of A, or A itself. */
function expectNothingOf(owner: Tenant, text: string, what: string): void {
  const leaked = [...owner.allIds].filter((id) => text.includes(id));
  expect({ what, leaked, tenant: text.includes(owner.name) }).toEqual({ what, leaked: [], tenant: false });
}

/** The seeded ids of `t` with every resource id replaced by an id that exists nowhere. */
function unknownIds(t: Tenant): SeededIds {
  const fake = (id: string) => `x${id}`;
  return {
    ...t.ids,
    id: fake(t.ids.id),
    runId: fake(t.ids.runId),
    triggerId: fake(t.ids.triggerId),
    webhookId: fake(t.ids.webhookId),
    deliveryId: fake(t.ids.deliveryId),
    keyId: fake(t.ids.keyId),
  };
}

/** An error body with the ids of `ids` replaced by placeholders, to compare answers about different ids. */
function normalized(text: string, ids: SeededIds): unknown {
  let out = text;
  for (const field of ['runId', 'triggerId', 'webhookId', 'deliveryId', 'keyId'] as const) {
    out = out.split(ids[field]).join(`<${field}>`);
  }
  return JSON.parse(out);
}

/** B calls `op` on A's resource and on an unknown id: both 404, with the same answer. */
async function expectSameAsUnknown(op: ApiOperation, body?: unknown): Promise<void> {
  const onA = await send(op, seededPath(op, a.ids), b.admin, body);
  const missing = unknownIds(a);
  const onNothing = await send(op, seededPath(op, missing), b.admin, body);
  expect({ op: op.operationId, status: onA.status }).toEqual({ op: op.operationId, status: 404 });
  expect(onNothing.status).toBe(404);
  expect(normalized(onA.text, a.ids)).toEqual(normalized(onNothing.text, missing));
  // Beyond the ids B sent, the answer names nothing of A.
  const echoed = [a.ids.runId, a.ids.triggerId, a.ids.webhookId, a.ids.deliveryId, a.ids.keyId];
  const rest = echoed.reduce((text, id) => text.split(id).join(''), onA.text);
  expectNothingOf(a, rest, `${op.operationId} on A's ids`);
}

beforeAll(async () => {
  h = await openApiHarness({ now: () => NOW });
  for (const op of apiOperations(h.app)) operations.set(op.operationId, op);
  a = await seedTenant(A);
  b = await seedTenant(B);
  before = await stateOf(a);
});

afterAll(async () => {
  await h?.close();
});

describe('tenant isolation', () => {
  test('the seeded tenants are complete and distinct', () => {
    for (const t of [a, b]) {
      // 3 runs, 2 triggers, 2 webhooks, 4 keys (seeded, admin, ops, and seed's viewer), audit entries.
      expect(t.allIds.size).toBeGreaterThan(12);
    }
    expect([...a.allIds].filter((id) => b.allIds.has(id))).toEqual([]);
    // The state compared after each of B's calls: every read of A's, answered.
    const statuses = [...before].map(([op, read]) => [op, (read as { status: number }).status]);
    expect(statuses).toEqual([...before.keys()].map((op) => [op, 200]));
    expect(before.size).toBeGreaterThan(10);
  });

  test.each(OPERATION_IDS)('%s', async (operation) => {
    const op = operations.get(operation);
    if (!op) throw new Error(`${operation} is in ACCESS but not in the OpenAPI document`);
    const hasParam = op.path.includes('{');

    if (op.method === 'get' && !hasParam) {
      // A list: B's, filtered or not, shows nothing of A.
      for (const query of ['', ...(LIST_QUERIES[operation]?.(a) ?? [])]) {
        const res = await send(op, `${op.path}${query}`, b.admin);
        expect([`${op.path}${query}`, res.status]).toEqual([`${op.path}${query}`, 200]);
        expectNothingOf(a, res.text, `${op.path}${query}`);
      }
    } else if (op.method === 'get' && GLOBAL.includes(operation)) {
      // A global definition: B reads exactly what A reads.
      const mine = await send(op, seededPath(op, b.ids), b.admin);
      const theirs = await send(op, seededPath(op, a.ids), a.admin);
      expect(mine).toEqual(theirs);
      expect(mine.status).toBe(200);
    } else if (op.method === 'get') {
      await expectSameAsUnknown(op);
      if (operation !== 'runs.stream') {
        const own = await send(op, seededPath(op, b.ids), b.admin);
        expect([operation, own.status]).toEqual([operation, 200]);
        expectNothingOf(a, own.text, `${operation} on B's own ids`);
      }
    } else if (hasParam) {
      if (!(operation in WRITE_BODIES)) {
        throw new Error(`${operation} acts on a resource: add its valid body to WRITE_BODIES`);
      }
      await expectSameAsUnknown(op, WRITE_BODIES[operation]);
    } else {
      const body = CREATE_BODIES[operation];
      if (body === undefined) {
        throw new Error(`${operation} creates in the caller's tenant: add its valid body to CREATE_BODIES`);
      }
      const res = await send(op, op.path, b.admin, body);
      expect([operation, res.status < 300]).toEqual([operation, true]);
      expectNothingOf(a, res.text, operation);
      if (!GLOBAL.includes(operation) && typeof body !== 'string') {
        // A tenant cannot be named in a request: a body naming A's is refused, not obeyed.
        const smuggled = await send(op, op.path, b.admin, { ...body, tenant: A });
        expect([operation, smuggled.status]).toEqual([operation, 400]);
      }
    }

    // Whatever B did, A reads the same state as before.
    expect(await stateOf(a)).toEqual(before);
  });

  test('an event published by B wakes none of A’s runs and fires none of A’s triggers', async () => {
    const runsOf = async (t: Tenant) =>
      (await h.json<{ data: Run[] }>('GET', '/v1/runs?limit=500', { key: t.admin })).body.data;
    const aRuns = await runsOf(a);
    const aWaiting = aRuns.filter((r) => r.workflow === 'waiter' && r.status === 'waiting');
    expect(aWaiting).toHaveLength(1);
    const bWaiter = await h.json<Run>('POST', '/v1/runs', {
      key: b.admin,
      body: { workflow: 'waiter', input: {} },
    });
    await until(
      'B’s waiter to wait',
      async () => (await h.baton.getRun(bWaiter.body.id)).status === 'waiting',
    );

    const go = await h.json<{ woken: number; triggered: string[] }>('POST', '/v1/events', {
      key: b.admin,
      body: { key: 'go' },
    });
    expect(go).toMatchObject({ status: 200, body: { woken: 1, triggered: [] } });
    // A trigger of each tenant listens for `seed`: B's event starts B's run only.
    const seed = await h.json<{ woken: number; triggered: string[] }>('POST', '/v1/events', {
      key: b.admin,
      body: { key: 'seed' },
    });
    expect(seed.status).toBe(200);
    expect(seed.body.triggered.length).toBeGreaterThan(0);
    for (const runId of seed.body.triggered) {
      expect((await h.json<Run>('GET', `/v1/runs/${runId}`, { key: b.admin })).body.tenant).toBe(B);
      expect((await h.json('GET', `/v1/runs/${runId}`, { key: a.admin })).status).toBe(404);
    }
    await until(
      'B’s waiter to finish',
      async () => (await h.baton.getRun(bWaiter.body.id)).status === 'succeeded',
    );

    expect(await runsOf(a)).toEqual(aRuns);
    const aTriggers = (await h.json<{ data: Trigger[] }>('GET', '/v1/triggers', { key: a.admin })).body.data;
    expect(aTriggers.every((t) => t.lastFiredAt === undefined)).toBe(true);
    expect(await stateOf(a)).toEqual(before);

    // The same event from A does wake A's run: the isolation is by tenant, not a broken wait.
    const own = await h.json('POST', '/v1/events', { key: a.admin, body: { key: 'go' } });
    expect(own).toMatchObject({ status: 200, body: { woken: 1 } });
    const [waiting] = aWaiting;
    await until(
      'A’s waiter to finish',
      async () => (await h.baton.getRun(waiting?.id as string)).status === 'succeeded',
    );
  });

  test('the same Idempotency-Key in two tenants makes two runs, each in its tenant', async () => {
    const submit = (t: Tenant) =>
      h.json<Run>('POST', '/v1/runs', {
        key: t.admin,
        body: { workflow: 'echo', input: { from: t.name } },
        headers: { 'idempotency-key': 'the-same-key' },
      });
    const first = await submit(a);
    const theirs = await submit(b);
    expect(first).toMatchObject({ status: 202, body: { tenant: A } });
    expect(theirs).toMatchObject({ status: 202, body: { tenant: B, input: { from: B } } });
    expect(theirs.body.id).not.toBe(first.body.id);
    expectNothingOf(a, JSON.stringify(theirs.body), 'B’s idempotent submit');
    // Within a tenant the key still returns the first run.
    expect((await submit(a)).body.id).toBe(first.body.id);
  });
});
