/**
 * The RBAC matrix: every operation of the API × every role, generated from the one access table
 * (`ACCESS`). An allowed role never gets 401 or 403 (nor a 5xx); a denied role gets exactly 403
 * `FORBIDDEN`. Without a valid key (none, revoked, malformed) every operation is 401 `UNAUTHENTICATED`.
 * Each cell is a named test, so a failure names the operation and the role.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACCESS, OPERATION_IDS, type OperationId } from '../../src/server/app/index.js';
import { ROLES, type Role } from '../../src/server/control/port.js';
import {
  type ApiHarness,
  type ApiOperation,
  openSeededApi,
  type SeededIds,
  seededPath,
} from './api-harness.js';

const TENANT = 'acme';

let h: ApiHarness;
let ids: SeededIds;
let keys: Record<Role, string>;
let revokedKey: string;
const operations = new Map<OperationId, ApiOperation>();

beforeAll(async () => {
  const api = await openSeededApi({}, TENANT);
  ({ h, ids, keys } = api);
  const revoked = await h.control.createKey({ tenant: TENANT, name: 'revoked', roles: ['admin'] });
  await h.control.revokeKey(TENANT, revoked.key.id);
  revokedKey = revoked.secret;
  for (const op of api.operations) operations.set(op.operationId, op);
});

afterAll(async () => {
  await h?.close();
});

/** Calls `operation` on the seeded resources with `key` (an empty JSON object as body for writes). */
async function send(
  operation: OperationId,
  key: string | undefined,
): Promise<{ status: number; body: { error?: { code?: unknown; message?: unknown } } | undefined }> {
  const op = operations.get(operation);
  if (!op) throw new Error(`${operation} is in ACCESS but not in the OpenAPI document`);
  const res = await h.call(op.method.toUpperCase(), seededPath(op, ids), {
    ...(key === undefined ? {} : { key }),
    ...(op.method === 'get' ? {} : { body: {} }),
  });
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    // The seeded run waits for a decision: its stream would stay open until the run ends.
    await res.body?.cancel();
    return { status: res.status, body: undefined };
  }
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('the access table', () => {
  test('lists exactly the operations of the OpenAPI document', () => {
    const documented = [...operations.keys()].sort();
    expect(documented).toEqual([...OPERATION_IDS].sort());
  });
});

describe.each(OPERATION_IDS)('%s', (operation) => {
  const cells = ROLES.map((role) => ({
    role,
    verdict: (ACCESS[operation] as readonly Role[]).includes(role) ? 'allowed' : 'denied',
  }));

  test.each(cells)('$role is $verdict', async ({ role, verdict }) => {
    const res = await send(operation, keys[role]);
    if (verdict === 'allowed') {
      expect(res.status, JSON.stringify(res.body)).not.toBe(401);
      expect(res.status, JSON.stringify(res.body)).not.toBe(403);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    } else {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: { code: 'FORBIDDEN', details: { operation } } });
    }
  });

  test.each([
    { caller: 'no key', key: undefined },
    { caller: 'a malformed key', key: 'bk_not-a-key' },
    { caller: 'a garbage header value', key: '\u00ff\u00fe%00' },
  ])('$caller is unauthenticated', async ({ key }) => {
    const res = await send(operation, key);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  test('a revoked admin key is unauthenticated', async () => {
    const res = await send(operation, revokedKey);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });
});

describe('a key with several roles', () => {
  const combined: Role[] = ['viewer', 'approver'];
  let key: string;
  beforeAll(async () => {
    key = await h.keyFor(combined, TENANT, 'viewer+approver');
  });

  test.each(OPERATION_IDS)('holds the union of its roles for %s', async (operation) => {
    const allowed = combined.some((role) => (ACCESS[operation] as readonly Role[]).includes(role));
    const res = await send(operation, key);
    if (allowed) expect([401, 403]).not.toContain(res.status);
    else expect(res.status).toBe(403);
  });
});
