/**
 * The gateway's read API (`/v1/gateway/routes`, `/keys`, `/requests`) over a real gateway on fake
 * upstreams, called through the same server's `POST /v1/chat/completions`: exact rows after known
 * calls, a breaker opened by injected failures, filters and cursors, and the tenant's data only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { type FakeOpenAI, startFakeOpenAI } from '../gateway/fakes/index.js';
import { type ApiHarness, openApiHarness, useApiHarness } from './api-harness.js';

let up: FakeOpenAI;
let down: FakeOpenAI;
let h: ApiHarness;
let gateway: Gateway;
let viewer: string;
let developer: string;
let acmeKey: { id: string; secret: string };

const USER = [{ role: 'user', content: 'hi' }];
const HALF_OPEN_MS = 600_000;

/** One chat completion through the server's gateway with a gateway key. */
async function chat(secret: string, model: string) {
  return h.json('POST', '/v1/chat/completions', { key: secret, body: { model, messages: USER } });
}

beforeAll(async () => {
  up = await startFakeOpenAI();
  down = await startFakeOpenAI();
  h = await openApiHarness({
    worker: false,
    gateway: {
      providers: {
        up: { kind: 'openai', baseUrl: `${up.url}/v1`, apiKey: 'sk' },
        down: { kind: 'openai', baseUrl: `${down.url}/v1`, apiKey: 'sk' },
      },
      routes: {
        fast: { targets: [{ model: 'up/gpt-4o-mini' }], description: 'quick answers' },
        flaky: {
          targets: [
            { model: 'down/gpt-4o', timeoutMs: 5_000 },
            { model: 'up/gpt-4o-mini', weight: 2 },
          ],
        },
      },
      prices: { 'up/gpt-4o-mini': { input: 1, output: 2 } },
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: HALF_OPEN_MS },
      retries: { attempts: 0, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0 },
      limits: { tenants: { acme: { budgets: [{ period: 'month', usd: 50 }], requestsPerMinute: 100 } } },
    },
  });
  gateway = h.ctx.gateway as Gateway;
  viewer = await h.keyFor('viewer');
  developer = await h.keyFor('developer');
  const created = await gateway.ledger.createKey({
    tenant: 'acme',
    name: 'app',
    budgets: [{ period: 'day', usd: 5 }],
    rateLimits: { requestsPerMinute: 60 },
  });
  acmeKey = { id: created.key.id, secret: created.secret };
  const beta = await gateway.ledger.createKey({ tenant: 'beta', name: 'other tenant' });

  // 1000 tokens in, 500 out: $0.002 on up/gpt-4o-mini at $1 / $2 per million.
  up.setScript({ usage: { inputTokens: 1000, outputTokens: 500 } });
  down.fault({ status: 503 }, { times: Number.POSITIVE_INFINITY });
  expect((await chat(acmeKey.secret, 'fast')).status).toBe(200);
  expect((await chat(beta.secret, 'fast')).status).toBe(200);
  // Two failures of down/gpt-4o open its breaker; the third call does not try it.
  for (let i = 0; i < 3; i++) expect((await chat(acmeKey.secret, 'flaky')).status).toBe(200);
  expect((await chat(acmeKey.secret, 'nope')).status).toBe(404);
}, 30_000);

afterAll(async () => {
  await h?.close();
  await up?.close();
  await down?.close();
});

describe('GET /v1/gateway/routes', () => {
  it('lists every route with its targets, breakers and the tenant recent calls', async () => {
    const { status, body } = await h.json<{
      data: Array<Record<string, unknown> & { targets: Array<Record<string, unknown>> }>;
      breaker: unknown;
    }>('GET', '/v1/gateway/routes', { key: viewer });
    expect(status).toBe(200);
    expect(body.breaker).toEqual({ consecutiveFailures: 2, halfOpenAfterMs: HALF_OPEN_MS });
    const [fast, flaky] = body.data;
    expect(body.data.map((r) => r.alias)).toEqual(['fast', 'flaky']);
    expect(fast).toMatchObject({
      alias: 'fast',
      strategy: 'fallback',
      description: 'quick answers',
      // Only acme's call: beta's call to the same alias is not counted.
      recent: { calls: 1, errors: 0, errorRate: 0 },
    });
    expect(fast?.targets).toEqual([
      {
        model: 'up/gpt-4o-mini',
        provider: 'up',
        providerKind: 'openai',
        offline: false,
        weight: 1,
        timeoutMs: 60_000,
        price: { input: 1, output: 2 },
        breaker: { state: 'closed', consecutiveFailures: 0, threshold: 2 },
        latencyMs: expect.any(Number),
      },
    ]);
    expect(flaky?.recent).toEqual({ calls: 3, errors: 0, errorRate: 0 });
    const [broken, steady] = flaky?.targets ?? [];
    expect(broken).toMatchObject({ model: 'down/gpt-4o', weight: 1, timeoutMs: 5_000 });
    expect(broken?.breaker).toEqual({
      state: 'open',
      consecutiveFailures: 2,
      threshold: 2,
      since: expect.any(Number),
      lastFailure: { at: expect.any(Number), code: 'PROVIDER_UNAVAILABLE' },
      retryAt: ((broken?.breaker as { since?: number } | undefined)?.since ?? Number.NaN) + HALF_OPEN_MS,
    });
    expect(broken).not.toHaveProperty('latencyMs');
    expect(steady).toMatchObject({ model: 'up/gpt-4o-mini', weight: 2, breaker: { state: 'closed' } });
    expect(down.requests).toHaveLength(2);
  });

  it('counts errors within the window, and an empty window counts nothing', async () => {
    const h2 = await openApiHarness({ worker: false });
    try {
      const key = await h2.keyFor('viewer');
      const { body } = await h2.json<{ data: Array<{ alias: string; recent: unknown; targets: unknown[] }> }>(
        'GET',
        '/v1/gateway/routes?window=5m',
        { key },
      );
      // The default routes on the offline model.
      expect(body.data.map((r) => r.alias)).toEqual(['fast', 'smart', 'router']);
      expect(body.data[0]?.recent).toEqual({ calls: 0, errors: 0, errorRate: null });
      expect(body.data[0]?.targets).toMatchObject([{ model: 'offline/fast', offline: true }]);
      const bad = await h2.json('GET', '/v1/gateway/routes?window=forever', { key });
      expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    } finally {
      await h2.close();
    }
  });
});

describe('GET /v1/gateway/requests', () => {
  type Page = { data: Array<Record<string, unknown>>; next_cursor: string | null };
  const list = (query = '') => h.json<Page>('GET', `/v1/gateway/requests${query}`, { key: viewer });

  it("is the tenant's log, newest first, with exact rows", async () => {
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body.next_cursor).toBeNull();
    expect(body.data.map((r) => [r.route, r.target, r.status])).toEqual([
      ['nope', undefined, 'error'],
      ['flaky', 'up/gpt-4o-mini', 'ok'],
      ['flaky', 'up/gpt-4o-mini', 'ok'],
      ['flaky', 'up/gpt-4o-mini', 'ok'],
      ['fast', 'up/gpt-4o-mini', 'ok'],
    ]);
    expect(body.data.at(-1)).toEqual({
      id: expect.any(String),
      at: expect.any(Number),
      keyId: acmeKey.id,
      route: 'fast',
      target: 'up/gpt-4o-mini',
      endpoint: 'chat',
      stream: false,
      status: 'ok',
      inputTokens: 1000,
      outputTokens: 500,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costUsd: 0.002,
      latencyMs: expect.any(Number),
      cacheHit: false,
      retries: 0,
      fallbacks: 0,
    });
    // The first two flaky calls fell back from the failing target; the third skipped it (breaker open).
    expect(body.data.slice(1, 4).map((r) => r.fallbacks)).toEqual([0, 1, 1]);
    expect(body.data[0]).toMatchObject({ errorCode: 'ROUTE_NOT_FOUND', costUsd: 0 });
    for (const row of body.data) {
      expect(row).not.toHaveProperty('tenant');
      expect(row).not.toHaveProperty('request');
    }
  });

  it('filters by model (alias or target) and status, and pages with a cursor', async () => {
    expect((await list('?status=error')).body.data.map((r) => r.route)).toEqual(['nope']);
    expect((await list('?model=flaky')).body.data).toHaveLength(3);
    expect((await list('?model=up/gpt-4o-mini')).body.data).toHaveLength(4);
    expect((await list('?model=fast&status=ok')).body.data).toHaveLength(1);
    const first = await list('?limit=3');
    expect(first.body.data).toHaveLength(3);
    const second = await list(`?limit=3&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((r) => r.route)).toEqual(['flaky', 'fast']);
    expect(second.body.next_cursor).toBeNull();
    expect((await list('?status=lost')).status).toBe(400);
    expect((await list('?cursor=garbage')).body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  });

  it('shows another tenant only its own calls, and a tenant without calls none', async () => {
    const betaViewer = await h.keyFor('viewer', 'beta');
    const beta = await h.json<Page>('GET', '/v1/gateway/requests', { key: betaViewer });
    expect(beta.body.data.map((r) => r.route)).toEqual(['fast']);
    const empty = await h.json<Page>('GET', '/v1/gateway/requests', {
      key: await h.keyFor('viewer', 'zeta'),
    });
    expect(empty.body).toEqual({ data: [], next_cursor: null });
  });
});

describe('GET /v1/gateway/keys', () => {
  it("lists the tenant's keys with budgets and this period's spend, never a secret", async () => {
    const res = await h.call('GET', '/v1/gateway/keys', { key: developer });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(acmeKey.secret);
    expect(text).not.toContain('other tenant');
    const body = JSON.parse(text) as {
      data: Array<Record<string, unknown> & { budgets: Array<Record<string, number>> }>;
      tenant: { budgets: Array<Record<string, number>>; rateLimits: unknown };
    };
    expect(body.data).toHaveLength(1);
    const [key] = body.data;
    expect(key).toMatchObject({
      id: acmeKey.id,
      prefix: `bvk_${acmeKey.id}`,
      name: 'app',
      status: 'active',
      allowedModels: [],
      rateLimits: { requestsPerMinute: 60 },
      createdAt: expect.any(Number),
    });
    // Four calls answered by up/gpt-4o-mini at $0.002 each; failed attempts cost nothing.
    expect(key?.budgets).toHaveLength(1);
    expect(key?.budgets[0]).toMatchObject({ period: 'day', limitUsd: 5 });
    expect(key?.budgets[0]?.spentUsd).toBeCloseTo(0.008, 9);
    expect((key?.spend as { dayUsd: number } | undefined)?.dayUsd).toBeCloseTo(0.008, 9);
    expect(body.tenant.rateLimits).toEqual({ requestsPerMinute: 100 });
    expect(body.tenant.budgets[0]).toMatchObject({ period: 'month', limitUsd: 50 });
    expect(body.tenant.budgets[0]?.spentUsd).toBeCloseTo(0.008, 9);
  });

  it('shows a revoked key as revoked, and is refused to viewers', async () => {
    const { key } = await gateway.ledger.createKey({ tenant: 'acme', name: 'old' });
    await gateway.ledger.revokeKey(key.id);
    const { body } = await h.json<{ data: Array<{ name: string; status: string }> }>(
      'GET',
      '/v1/gateway/keys',
      {
        key: developer,
      },
    );
    expect(body.data.map((k) => [k.name, k.status])).toEqual([
      ['app', 'active'],
      ['old', 'revoked'],
    ]);
    const refused = await h.json('GET', '/v1/gateway/keys', { key: viewer });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });
});

describe('a server without a gateway', () => {
  const open = useApiHarness();
  it('answers 404 GATEWAY_NOT_CONFIGURED with a hint on every gateway route', async () => {
    const bare = await open({ worker: false, gateway: false });
    const admin = await bare.keyFor('admin');
    for (const path of ['/v1/gateway/routes', '/v1/gateway/keys', '/v1/gateway/requests']) {
      const res = await bare.json('GET', path, { key: admin });
      expect(res).toMatchObject({
        status: 404,
        body: {
          error: { code: 'GATEWAY_NOT_CONFIGURED', message: expect.stringContaining('`baton server`') },
        },
      });
    }
  });
});
