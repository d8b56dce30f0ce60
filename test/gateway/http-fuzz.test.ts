/**
 * The HTTP surface in memory (Hono's request function): thousands of malformed and random bodies
 * on every endpoint never produce a 5xx, and every error carries a code in the OpenAI format.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/gateway.js';
import { createGatewayApp } from '../../src/gateway/http/gateway-app.js';
import { type GatewayLedger, openSqliteLedger } from '../../src/gateway/ledger/index.js';

let dir: string;
let ledger: GatewayLedger;
let gateway: Gateway;
let app: Hono;
let secret: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-gw-fuzz-'));
  ledger = await openSqliteLedger({ path: join(dir, 'gateway.db') });
  // No providers configured: the default routes answer offline, so the fuzz needs no network.
  gateway = Gateway.open({ ledger, config: { maxRequestBytes: 64 * 1024 }, env: {} });
  app = createGatewayApp(gateway);
  secret = (await ledger.createKey({ tenant: 'fuzz', name: 'fuzz' })).secret;
});

afterAll(async () => {
  await gateway?.close();
  await ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: string, key: string | undefined = secret): Promise<Response> {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body,
  });
}

async function expectTypedError(response: Response): Promise<void> {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
}

const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool', 'developer'), fc.string()),
    content: fc.oneof(
      fc.string(),
      fc.constant(null),
      fc.array(fc.record({ type: fc.string(), text: fc.string() })),
      fc.integer(),
    ),
  },
  { requiredKeys: [] },
);
const chatBody = fc.record(
  {
    model: fc.oneof(fc.constantFrom('fast', 'smart', 'offline/x', 'nope', ''), fc.string(), fc.integer()),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.string(), fc.constant(null)),
    stream: fc.oneof(fc.boolean(), fc.string()),
    temperature: fc.oneof(fc.double(), fc.string()),
    max_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()),
    tools: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), fc.string()),
    metadata: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
    response_format: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('gateway HTTP surface', () => {
  it('answers a valid request and lists models', async () => {
    const ok = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(ok.status).toBe(200);
    const models = await app.request('/v1/models', { headers: { authorization: `Bearer ${secret}` } });
    expect(((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toContain(
      'fast',
    );
  });

  it('refuses oversized bodies with 413 and unknown paths with 404, typed', async () => {
    const big = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] }),
    );
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    // Multi-byte text under the limit in characters but over it in bytes, sent without a length.
    const chunked = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: new Blob([
        JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: '€'.repeat(30_000) }] }),
      ]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const missing = await app.request('/v1/nothing');
    expect(missing.status).toBe(404);
    await expectTypedError(missing);
  });

  it('never answers 5xx to random bodies on any endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/chat/completions', '/v1/embeddings'),
        fc.oneof(
          chatBody.map((b) => JSON.stringify(b)),
          fc.json(),
          fc.string(),
          fc.constant('{"model":'),
        ),
        fc.boolean(),
        async (path, body, authenticated) => {
          const response = await post(path, body, authenticated ? secret : undefined);
          if (response.status === 200) {
            const text = await response.text();
            // Streamed answers end with [DONE]; whole answers are JSON.
            expect(text.includes('[DONE]') || text.startsWith('{')).toBe(true);
            return;
          }
          await expectTypedError(response);
        },
      ),
      { numRuns: 2_000, seed: 4242 },
    );
  });
});
