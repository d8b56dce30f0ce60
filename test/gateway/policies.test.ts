import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, readBody, startFakeOpenAI } from './fakes/index.js';
import { type GatewayHarness, startGateway } from './harness.js';

let up: FakeOpenAI;
let gw: GatewayHarness;

const user = (content: string) => [{ role: 'user' as const, content }];
const clientFor = (apiKey: string) => new OpenAI({ apiKey, baseURL: gw.baseURL, maxRetries: 0 });

beforeAll(async () => {
  up = await startFakeOpenAI();
  gw = await startGateway({
    providers: { openai: { kind: 'openai', baseUrl: `${up.url}/v1`, apiKey: 'sk-up' } },
    routes: {
      fast: { targets: [{ model: 'openai/gpt-4o-mini' }] },
      cached: { targets: [{ model: 'openai/gpt-4o-mini' }], cache: { ttlSeconds: 60 } },
      blocked: { targets: [{ model: 'openai/gpt-4o-mini' }], pii: 'block' },
      open: { targets: [{ model: 'openai/gpt-4o-mini' }], pii: 'off' },
    },
    limits: {
      tenants: { capped: { budgets: [{ period: 'day', usd: 0.01 }] } },
      models: { fast: { requestsPerMinute: 1_000 } },
    },
    retries: { attempts: 0, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0 },
    pii: { mode: 'mask', custom: [{ name: 'order id', pattern: 'ORD-\\d{6}' }] },
  });
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

beforeEach(() => {
  up.clearFaults();
  up.requests.length = 0;
  up.setScript(undefined);
});

/** A fresh key with a budget of `usd` per day. */
async function budgetKey(usd: number, tenant = 'acme'): Promise<string> {
  return (await gw.ledger.createKey({ tenant, name: `budget-${usd}`, budgets: [{ period: 'day', usd }] }))
    .secret;
}

async function raw(path: string, apiKey: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${gw.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: (await readBody(response)).text };
}

describe('budgets: no side door', () => {
  // gpt-4o-mini output costs $0.60 per million tokens: max_tokens 10,000 reserves at least $0.006.
  const big = { max_tokens: 10_000 };

  it.each([
    ['chat', '/chat/completions', { model: 'fast', messages: user('hi'), ...big }],
    ['streamed chat', '/chat/completions', { model: 'fast', stream: true, messages: user('hi'), ...big }],
    [
      'a provider/model target',
      '/chat/completions',
      { model: 'openai/gpt-4o', messages: user('hi'), ...big },
    ],
    [
      'a cached route',
      '/chat/completions',
      { model: 'cached', temperature: 0, messages: user('hi'), ...big },
    ],
    ['embeddings', '/embeddings', { model: 'openai/text-embedding-3-large', input: 'x'.repeat(300_000) }],
  ])('refuses %s over budget before anything is sent', async (_name, path, body) => {
    const key = await budgetKey(0.005);
    const { status, text } = await raw(path, key, body);
    expect(status).toBe(402);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'BUDGET_EXCEEDED' } });
    expect(up.requests).toHaveLength(0);
  });

  it('counts streamed spend, so streaming cannot drain a budget for free', async () => {
    const key = await budgetKey(0.0005);
    up.setScript({ text: 'ok', usage: { inputTokens: 1_000, outputTokens: 1_000 } });
    const client = clientFor(key);
    // Each call costs $0.00075 (1,000 in at $0.15 + 1,000 out at $0.60 per million), over the budget on its own.
    const stream = await client.chat.completions.create({
      model: 'fast',
      stream: true,
      max_tokens: 100,
      messages: user('a'),
    });
    for await (const _ of stream);
    await expect(
      client.chat.completions.create({ model: 'fast', stream: true, max_tokens: 100, messages: user('b') }),
    ).rejects.toMatchObject({ status: 402, code: 'BUDGET_EXCEEDED' });
    expect(up.requests).toHaveLength(1);
  });

  it('reserves before the call, so concurrent calls cannot overshoot together', async () => {
    // Each call reserves about $0.0006 (1,000 output tokens at $0.60 per million plus its input): ten fit in $0.0065.
    const key = await budgetKey(0.0065);
    up.setScript({ text: 'ok', usage: { inputTokens: 10, outputTokens: 10 } });
    // Calls settle (and release their reservations) only after every call has been admitted: a short
    // delay let early calls finish under load and free room for later ones, which is correct, not
    // an overshoot.
    up.fault({ delayMs: 1_500 }, { times: Number.POSITIVE_INFINITY });
    const client = clientFor(key);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () =>
        client.chat.completions.create({ model: 'fast', max_tokens: 1_000, messages: user('c') }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(10);
    expect(up.requests).toHaveLength(ok);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'BUDGET_EXCEEDED' });
  });

  it('reserves across several budgets at once without a gap between check and reserve', async () => {
    // Two limits on the key and a run budget: each check awaits its account, so a check-then-reserve
    // with an await between would let concurrent calls all pass.
    const { secret } = await gw.ledger.createKey({
      tenant: 'acme',
      name: 'two-limits',
      budgets: [
        { period: 'day', usd: 0.0065 },
        { period: 'month', usd: 0.0065 },
      ],
    });
    up.setScript({ text: 'ok', usage: { inputTokens: 10, outputTokens: 10 } });
    up.fault({ delayMs: 1_500 }, { times: Number.POSITIVE_INFINITY });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        gw.gateway.chat(
          { model: 'fast', max_tokens: 1_000, messages: user(`m${i}`) },
          { apiKey: secret, run: { id: 'run_two_limits', budgetUsd: 1 } },
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(10);
    expect(up.requests).toHaveLength(ok);
  });

  it("applies the tenant's budget to every key of the tenant", async () => {
    const k1 = (await gw.ledger.createKey({ tenant: 'capped', name: 'one' })).secret;
    const k2 = (await gw.ledger.createKey({ tenant: 'capped', name: 'two' })).secret;
    up.setScript({ text: 'ok', usage: { inputTokens: 10_000, outputTokens: 10_000 } });
    // $0.0075 per call against a $0.01 tenant budget: the second call (from another key) would cross it.
    await clientFor(k1).chat.completions.create({ model: 'fast', max_tokens: 10, messages: user('x') });
    await gw.gateway.flush();
    await expect(
      clientFor(k2).chat.completions.create({ model: 'fast', max_tokens: 5_000, messages: user('y') }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
  });

  it('charges a run and enforces its budget in-process', async () => {
    up.setScript({ text: 'ok', usage: { inputTokens: 1_000, outputTokens: 1_000 } });
    const run = { id: 'run_budget_1', budgetUsd: 0.001 };
    const first = await gw.gateway.chat(
      { model: 'fast', max_tokens: 100, messages: user('x') },
      { tenant: 'acme', run },
    );
    expect(first.meta.costUsd).toBeCloseTo(0.00075, 10);
    // $0.00075 spent + up to $0.0006 for 1,000 output tokens would cross $0.001.
    await expect(
      gw.gateway.chat({ model: 'fast', max_tokens: 1_000, messages: user('y') }, { tenant: 'acme', run }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', details: { scope: 'run', id: 'run_budget_1' } });
    await gw.gateway.flush();
    expect(await gw.ledger.spentSince('run', 'run_budget_1', 0)).toBeCloseTo(0.00075, 10);
  });
});

describe('rate limits', () => {
  it('limits requests per minute per key, with Retry-After', async () => {
    const { secret } = await gw.ledger.createKey({
      tenant: 'acme',
      name: 'rpm',
      rateLimits: { requestsPerMinute: 2 },
    });
    const client = clientFor(secret);
    await client.chat.completions.create({ model: 'fast', messages: user('1') });
    await client.chat.completions.create({ model: 'fast', messages: user('2') });
    const response = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: user('3') }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await response.json()) as unknown).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(up.requests).toHaveLength(2);
  });

  it('limits tokens per minute, and a refused call takes nothing', async () => {
    const { secret } = await gw.ledger.createKey({
      tenant: 'acme',
      name: 'tpm',
      rateLimits: { tokensPerMinute: 3_000 },
    });
    const client = clientFor(secret);
    up.setScript({ text: 'ok', usage: { inputTokens: 10, outputTokens: 10 } });
    // Over the limit on its own: no retry can pass, so it is a 400, not a 429.
    await expect(
      client.chat.completions.create({ model: 'fast', max_tokens: 5_000, messages: user('too big') }),
    ).rejects.toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    // Estimates are corrected with actual usage, so small calls keep fitting.
    for (let i = 0; i < 5; i += 1)
      await client.chat.completions.create({ model: 'fast', max_tokens: 1_000, messages: user(`s${i}`) });
    expect(up.requests).toHaveLength(5);
  });

  it('gives back the request and tokens a budget refusal took', async () => {
    const { secret } = await gw.ledger.createKey({
      tenant: 'acme',
      name: 'refund',
      rateLimits: { requestsPerMinute: 2, tokensPerMinute: 20_000 },
      budgets: [{ period: 'day', usd: 0.001 }],
    });
    const client = clientFor(secret);
    // Each refused call first took a request slot and ~16,000 tokens, then the budget refused it.
    for (let i = 0; i < 4; i += 1) {
      await expect(
        client.chat.completions.create({ model: 'fast', max_tokens: 16_000, messages: user(`big${i}`) }),
      ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    }
    up.setScript({ text: 'ok', usage: { inputTokens: 10, outputTokens: 10 } });
    await client.chat.completions.create({ model: 'fast', max_tokens: 100, messages: user('small 1') });
    await client.chat.completions.create({ model: 'fast', max_tokens: 100, messages: user('small 2') });
    expect(up.requests).toHaveLength(2);
  });
});

describe('keys', () => {
  it('refuses models a key is not allowed', async () => {
    const { secret } = await gw.ledger.createKey({ tenant: 'acme', name: 'narrow', allowedModels: ['fast'] });
    const client = clientFor(secret);
    await client.chat.completions.create({ model: 'fast', messages: user('ok') });
    await expect(
      client.chat.completions.create({ model: 'openai/gpt-4o', messages: user('no') }),
    ).rejects.toMatchObject({ status: 403, code: 'MODEL_NOT_ALLOWED' });
    await expect(
      client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'no' }),
    ).rejects.toMatchObject({ status: 403, code: 'MODEL_NOT_ALLOWED' });
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['fast']);
  });

  it('refuses a revoked key', async () => {
    const { key, secret } = await gw.ledger.createKey({ tenant: 'acme', name: 'gone' });
    await gw.ledger.revokeKey(key.id);
    gw.gateway.forgetKeys();
    await expect(
      clientFor(secret).chat.completions.create({ model: 'fast', messages: user('x') }),
    ).rejects.toMatchObject({ status: 401, code: 'KEY_INVALID' });
  });
});

describe('cache', () => {
  it('answers an identical request from the cache, streamed or not, at no cost', async () => {
    const client = clientFor(gw.secret);
    const body = {
      model: 'cached',
      temperature: 0,
      messages: user('cache me'),
      tools: [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }],
    };
    const first = await client.chat.completions.create(body).withResponse();
    const second = await client.chat.completions.create(body).withResponse();
    expect(second.response.headers.get('x-baton-cache')).toBe('hit');
    expect(second.response.headers.get('x-baton-cost-usd')).toBe('0');
    expect(second.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(first.data.choices[0]?.message.content);
    expect(up.requests).toHaveLength(1);
    // Any parameter is part of the key.
    await client.chat.completions.create({ ...body, max_tokens: 7 });
    expect(up.requests).toHaveLength(2);
  });

  it('does not cache sampling requests, errors, or across tenants', async () => {
    const client = clientFor(gw.secret);
    await client.chat.completions.create({ model: 'cached', temperature: 0.7, messages: user('sample') });
    await client.chat.completions.create({ model: 'cached', temperature: 0.7, messages: user('sample') });
    expect(up.requests).toHaveLength(2);
    up.fault({ status: 400 });
    await expect(
      client.chat.completions.create({ model: 'cached', temperature: 0, messages: user('err') }),
    ).rejects.toMatchObject({ status: 400 });
    await client.chat.completions.create({ model: 'cached', temperature: 0, messages: user('err') });
    expect(up.requests).toHaveLength(4);
    const other = (await gw.ledger.createKey({ tenant: 'globex', name: 'other' })).secret;
    await clientFor(other).chat.completions.create({
      model: 'cached',
      temperature: 0,
      messages: user('err'),
    });
    expect(up.requests).toHaveLength(5);
  });
});

describe('PII', () => {
  const secretText = 'Mail ada@example.com or call +44 20 7946 0958, card 4111 1111 1111 1111.';

  it('masks before the provider and restores in the answer', async () => {
    up.setScript((request) => ({
      text: `Noted: ${JSON.stringify((request.body as { messages: Array<{ content: string }> }).messages[0]?.content)}`,
    }));
    const answer = await clientFor(gw.secret).chat.completions.create({
      model: 'fast',
      messages: user(secretText),
    });
    const sent = JSON.stringify(up.requests[0]?.body);
    expect(sent).not.toContain('ada@example.com');
    expect(sent).not.toContain('4111 1111 1111 1111');
    expect(sent).toContain('[EMAIL_1]');
    expect(answer.choices[0]?.message.content).toContain('ada@example.com');
    expect(answer.choices[0]?.message.content).toContain('4111 1111 1111 1111');
  });

  it('masks custom patterns from config', async () => {
    await clientFor(gw.secret).chat.completions.create({
      model: 'fast',
      messages: user('refund ORD-123456 please'),
    });
    const sent = JSON.stringify(up.requests[0]?.body);
    expect(sent).not.toContain('ORD-123456');
    expect(sent).toContain('[ORDER_ID_1]');
  });

  it('restores placeholders in tool-call arguments, streamed', async () => {
    up.setScript({ toolCalls: [{ name: 'email', arguments: { to: '[EMAIL_1]' } }] });
    const stream = await clientFor(gw.secret).chat.completions.create({
      model: 'fast',
      stream: true,
      messages: user('write to ada@example.com'),
      tools: [{ type: 'function', function: { name: 'email', parameters: { type: 'object' } } }],
    });
    let args = '';
    for await (const chunk of stream)
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) args += call.function?.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ to: 'ada@example.com' });
  });

  it('blocks on a block route, sending nothing', async () => {
    await expect(
      clientFor(gw.secret).chat.completions.create({ model: 'blocked', messages: user(secretText) }),
    ).rejects.toMatchObject({ status: 400, code: 'PII_BLOCKED' });
    expect(up.requests).toHaveLength(0);
  });

  it('keeps the request log masked even on a route with masking off', async () => {
    await clientFor(gw.secret).chat.completions.create({ model: 'open', messages: user(secretText) });
    expect(JSON.stringify(up.requests[0]?.body)).toContain('ada@example.com');
    await gw.gateway.flush();
    const entry = (await gw.ledger.listRequests({ tenant: 'acme', limit: 1 })).entries[0];
    expect(entry?.route).toBe('open');
    expect(entry?.request).not.toContain('ada@example.com');
    expect(entry?.request).toContain('[EMAIL_1]');
  });

  it('masks PII the model writes in its answer in the request log, on a masking route too', async () => {
    up.setScript({ text: 'Reach our support at help@globex.example or 4111 1111 1111 1111.' });
    const answer = await clientFor(gw.secret).chat.completions.create({
      model: 'fast',
      messages: user('who do I call?'),
    });
    expect(answer.choices[0]?.message.content).toContain('help@globex.example');
    await gw.gateway.flush();
    const entry = (await gw.ledger.listRequests({ tenant: 'acme', limit: 1 })).entries[0];
    expect(entry?.response).toBeDefined();
    expect(entry?.response).not.toContain('help@globex.example');
    expect(entry?.response).not.toContain('4111 1111 1111 1111');
  });
});

describe('request log', () => {
  it('logs calls refused by policy, once the caller is known', async () => {
    await expect(
      clientFor(gw.secret).chat.completions.create({ model: 'nope', messages: user('x') }),
    ).rejects.toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    await expect(
      clientFor(gw.secret).chat.completions.create({
        model: 'blocked',
        messages: user('mail ada@example.com'),
      }),
    ).rejects.toMatchObject({ code: 'PII_BLOCKED' });
    await gw.gateway.flush();
    const [blocked, missing] = (await gw.ledger.listRequests({ tenant: 'acme', limit: 2 })).entries;
    expect(missing).toMatchObject({ route: 'nope', status: 'error', errorCode: 'ROUTE_NOT_FOUND' });
    expect(blocked).toMatchObject({ route: 'blocked', status: 'error', errorCode: 'PII_BLOCKED' });
  });

  it('records tenant, key, route, target, tokens, cost, latency, retries and error codes', async () => {
    up.setScript({ text: 'logged', usage: { inputTokens: 100, outputTokens: 50 } });
    await clientFor(gw.secret).chat.completions.create({ model: 'fast', messages: user('log me') });
    up.fault({ status: 404 });
    await clientFor(gw.secret)
      .chat.completions.create({ model: 'fast', messages: user('fail') })
      .catch(() => undefined);
    await gw.gateway.flush();
    const [failed, ok] = (await gw.ledger.listRequests({ tenant: 'acme', limit: 2 })).entries;
    expect(ok).toMatchObject({
      tenant: 'acme',
      route: 'fast',
      target: 'openai/gpt-4o-mini',
      status: 'ok',
      inputTokens: 100,
      outputTokens: 50,
      cacheHit: false,
      retries: 0,
    });
    expect(ok?.keyId).toBeDefined();
    expect(ok?.costUsd).toBeCloseTo((100 * 0.15 + 50 * 0.6) / 1e6, 12);
    expect(ok?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(failed).toMatchObject({ status: 'error', errorCode: 'PROVIDER_NOT_FOUND' });
  });
});
