import { describe, expect, it } from 'vitest';
import { ACCESS, createApiApp, OPERATION_IDS } from '../../src/server/app/index.js';
import type { ControlStore } from '../../src/server/control/port.js';
import { apiOperations, seededPath, useApiHarness } from './api-harness.js';

const open = useApiHarness();

describe('API basics', () => {
  it('answers /healthz and /readyz without a key', async () => {
    const h = await open({ worker: false });
    expect(await h.json('GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    expect(await h.json('GET', '/readyz')).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('answers /readyz with 503 STORE_UNAVAILABLE when a store does not answer', async () => {
    const h = await open({ worker: false });
    const down = {
      readCursor: () => Promise.reject(new Error('connection refused')),
    } as unknown as ControlStore;
    const app = createApiApp({ ...h.ctx, control: down }, { logError: () => {} });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('answers an unexpected failure with 500 INTERNAL, logging it without showing it', async () => {
    const h = await open({ worker: false });
    const logged: unknown[] = [];
    const control = {
      findKeyBySecret: async () => ({
        id: 'k1',
        prefix: 'bk_k1',
        tenant: 'acme',
        name: 'a',
        roles: ['admin'],
        createdAt: 0,
      }),
      listKeys: () => Promise.reject(new Error('SQLITE_CORRUPT at /var/lib/baton')),
    } as unknown as ControlStore;
    const app = createApiApp({ ...h.ctx, control }, { logError: (err) => logged.push(err) });
    const res = await app.request('/v1/keys', { headers: { authorization: 'Bearer bk_k1_x' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(text).not.toContain('SQLITE');
    expect(logged).toHaveLength(1);
  });

  it('serves an OpenAPI 3.1 document whose operations are exactly the access table', async () => {
    const h = await open({ worker: false });
    const { status, body } = await h.json<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/openapi.json',
    );
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(body.paths['/v1/runs/{id}']).toBeDefined();
    const ids = apiOperations(h.app).map((o) => o.operationId);
    expect([...ids].sort()).toEqual([...OPERATION_IDS].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('grants admin every operation and viewer only reads', async () => {
    const h = await open({ worker: false });
    for (const op of apiOperations(h.app)) {
      const roles: readonly string[] = ACCESS[op.operationId];
      expect([op.operationId, roles.includes('admin')]).toEqual([op.operationId, true]);
      if (op.method !== 'get')
        expect([op.operationId, roles.includes('viewer')]).toEqual([op.operationId, false]);
    }
  });

  it('serves a self-contained reference page', async () => {
    const h = await open({ worker: false });
    const res = await h.call('GET', '/reference');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('/v1/runs/{id}/events');
    expect(html).toContain('runs.submit');
    expect(html).not.toMatch(/<script|https?:\/\/(?!localhost)/);
  });

  it('refuses /v1 without a valid key with 401 UNAUTHENTICATED', async () => {
    const h = await open({ worker: false });
    for (const key of [undefined, 'nope', 'bk_aaaaaaaa_wrong', 'x'.repeat(5000)]) {
      const res = await h.json('GET', '/v1/runs', key === undefined ? {} : { key });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
    }
  });

  it('refuses a revoked key', async () => {
    const h = await open({ worker: false });
    const admin = await h.keyFor('admin');
    const viewer = await h.keyFor('viewer');
    expect((await h.json('GET', '/v1/runs', { key: viewer })).status).toBe(200);
    const keys = await h.json<{ data: { id: string; name: string }[] }>('GET', '/v1/keys', { key: admin });
    const id = keys.body.data.find((k) => k.name === 'viewer@acme')?.id;
    expect((await h.json('DELETE', `/v1/keys/${id}`, { key: admin })).status).toBe(200);
    expect((await h.json('GET', '/v1/runs', { key: viewer })).status).toBe(401);
  });

  it('refuses a role without access with 403 FORBIDDEN', async () => {
    const h = await open({ worker: false });
    const viewer = await h.keyFor('viewer');
    const res = await h.json('POST', '/v1/runs', { key: viewer, body: { workflow: 'echo', input: {} } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'FORBIDDEN', details: { operation: 'runs.submit' } } });
    expect(ACCESS['runs.submit']).not.toContain('viewer');
  });

  it('answers unknown routes with 404 ROUTE_NOT_FOUND', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('admin');
    const res = await h.json('GET', '/v1/nothing-here', { key });
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'ROUTE_NOT_FOUND' } } });
  });

  it('turns malformed requests into 4xx with a code, never 5xx', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('admin');
    const cases: [string, string, { body?: unknown; headers?: Record<string, string> }, number, string][] = [
      ['POST', '/v1/runs', { body: '{"workflow":' }, 400, 'INVALID_REQUEST'],
      [
        'POST',
        '/v1/runs',
        { body: 'workflow=echo', headers: { 'content-type': 'text/plain' } },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      ['POST', '/v1/runs', { body: { workflow: 'echo', surprise: 1 } }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/runs', { body: { workflow: 42 } }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/runs', { body: '{"workflow":"echo","priority":1e999}' }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/runs', { body: [] }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/runs', { body: 'null' }, 400, 'INVALID_REQUEST'],
      ['GET', '/v1/runs?limit=99999999999999999999', {}, 400, 'INVALID_REQUEST'],
      ['GET', '/v1/runs?limit=-1', {}, 400, 'INVALID_REQUEST'],
      ['GET', '/v1/runs?status=sleeping', {}, 400, 'INVALID_REQUEST'],
      ['GET', '/v1/runs?bogus=1', {}, 400, 'INVALID_REQUEST'],
      ['GET', '/v1/runs?createdAfter=yesterday', {}, 400, 'INVALID_REQUEST'],
      ['GET', '/v1/runs?limit=1&limit=2', {}, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/runs', { body: { workflow: 'nope' } }, 404, 'WORKFLOW_NOT_FOUND'],
      ['POST', '/v1/runs', { body: { workflow: 'payout', input: { amount: 'lots' } } }, 422, 'INVALID_INPUT'],
      ['POST', '/v1/events', { body: { key: '' } }, 400, 'INVALID_REQUEST'],
      ['GET', '/v1/runs/%E0%A4%A', {}, 404, 'RUN_NOT_FOUND'],
    ];
    for (const [method, path, options, status, code] of cases) {
      const res = await h.json(method, path, { key, ...options });
      expect({
        method,
        path,
        status: res.status,
        code: (res.body as { error: { code: string } }).error.code,
      }).toEqual({
        method,
        path,
        status,
        code,
      });
    }
  });

  it('limits the body size with 413 PAYLOAD_TOO_LARGE', async () => {
    const h = await open({ worker: false, app: { maxBodyBytes: 1000 } });
    const key = await h.keyFor('admin');
    const res = await h.json('POST', '/v1/runs', {
      key,
      body: { workflow: 'echo', input: { big: 'x'.repeat(2000) } },
    });
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  it('rate limits per key with 429 RATE_LIMITED and Retry-After', async () => {
    const h = await open({ worker: false, app: { rateLimit: { points: 3, durationSec: 60 } } });
    const a = await h.keyFor('viewer');
    const b = await h.keyFor('viewer', 'acme', 'other');
    for (let i = 0; i < 3; i++) expect((await h.call('GET', '/v1/runs', { key: a })).status).toBe(200);
    const limited = await h.json('GET', '/v1/runs', { key: a });
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await h.call('GET', '/v1/runs', { key: b })).status).toBe(200);
  });
});

describe('API harness', () => {
  it('seeds one of everything, so that every operation has a concrete path that exists', async () => {
    const h = await open();
    const ids = await h.seed('acme');
    const keys = await h.keysByRole('acme');
    for (const op of apiOperations(h.app).filter(
      (o) => o.method === 'get' && o.operationId !== 'runs.stream',
    )) {
      const res = await h.json('GET', seededPath(op, ids), { key: keys.admin });
      expect([op.operationId, res.status]).toEqual([op.operationId, 200]);
    }
  });
});
