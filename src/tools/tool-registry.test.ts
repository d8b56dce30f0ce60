import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { searchDocs, setup } from '../../test/tools/registry-fixtures.js';
import { BatonError } from '../core/errors.js';
import { defineTool } from './define-tool.js';
import { utf8Bytes } from './result-cap.js';
import { ToolError } from './tool-errors.js';

function counting(
  name: string,
  options: { effect?: boolean; idempotent?: boolean; failUntil?: number } = {},
) {
  const calls: { input: unknown; key: string }[] = [];
  const tool = defineTool({
    name,
    description: name,
    input: z.object({ to: z.string().optional() }),
    ...(options.effect === undefined ? {} : { effect: options.effect }),
    ...(options.idempotent === undefined ? {} : { idempotent: options.idempotent }),
    handler: (input, context) => {
      calls.push({ input, key: context.idempotencyKey });
      if (calls.length < (options.failUntil ?? 0)) throw new Error(`flaky failure ${calls.length}`);
      return { done: calls.length };
    },
  });
  return { tool, calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ToolRegistry grants', () => {
  it('shows the model the granted tools only, as OpenAI function definitions', async () => {
    const { registry } = setup();
    const danger = counting('delete_everything', { effect: true });
    registry.register(searchDocs, danger.tool);
    const tools = registry.forGrant(['search_docs']);
    const definitions = await tools.definitions();
    expect(definitions).toEqual([
      {
        type: 'function',
        function: {
          name: 'search_docs',
          description: 'Searches the documentation.',
          parameters: searchDocs.inputSchema,
        },
      },
    ]);
    expect(definitions[0]?.function.parameters).toMatchObject({
      type: 'object',
      properties: { query: { type: 'string', minLength: 1 } },
      required: ['query'],
    });
    expect(await registry.forGrant([]).definitions()).toEqual([]);
    const both = await registry.forGrant(['delete_everything', 'search_docs']).definitions();
    expect(both.map((d) => d.function.name)).toEqual(['delete_everything', 'search_docs']);
  });

  it('refuses a call to an existing tool outside the grant (prompt injection), audits it, runs nothing', async () => {
    const { registry, audit } = setup();
    const danger = counting('delete_everything', { effect: true });
    registry.register(searchDocs).register(danger.tool);
    const tools = registry.forGrant(['search_docs']);
    // A document returned by search_docs told the model to wipe everything.
    const outcome = await tools.call('delete_everything', '{"to":"all"}', {
      runId: 'r1',
      stepId: 's1',
      callId: 'c1',
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('TOOL_NOT_GRANTED');
    expect(outcome.content).toContain('TOOL_NOT_GRANTED');
    expect(outcome.content).toContain('The tools you may call are: search_docs');
    expect(danger.calls).toEqual([]);
    expect(audit.records).toEqual([
      {
        at: 1_700_000_000_000,
        runId: 'r1',
        stepId: 's1',
        callId: 'c1',
        tool: 'delete_everything',
        arguments: '{"to":"all"}',
        outcome: 'refused',
        errorCode: 'TOOL_NOT_GRANTED',
        attempts: 0,
        durationMs: 5,
        resultBytes: 0,
        truncated: false,
      },
    ]);
  });

  it('refuses an unknown tool as not found, and audits it', async () => {
    const { registry, audit } = setup();
    const tools = registry.register(searchDocs).forGrant(['search_docs']);
    const outcome = await tools.call('search_the_web', '{}');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TOOL_NOT_FOUND' } });
    expect(audit.records[0]).toMatchObject({
      tool: 'search_the_web',
      outcome: 'refused',
      errorCode: 'TOOL_NOT_FOUND',
    });
  });

  it('rejects grants naming unregistered tools or invalid names', () => {
    const { registry } = setup();
    registry.register(searchDocs);
    expect(() => registry.forGrant(['search_doc'])).toThrow(ToolError);
    expect(() => registry.forGrant(['bad name'])).toThrow(BatonError);
    expect(() => registry.register(searchDocs)).toThrow(/already registered/);
    expect(() => registry.forGrant(['search_docs'], { maxResultBytes: 10 })).toThrow(/maxResultBytes/);
  });
});

describe('ToolRegistry calls', () => {
  it('runs a granted tool and returns its JSON result', async () => {
    const { registry, audit } = setup();
    const tools = registry.register(searchDocs).forGrant(['search_docs']);
    const outcome = await tools.call('search_docs', { query: 'grants' });
    expect(outcome).toEqual({
      ok: true,
      value: [{ title: 'About grants' }],
      content: '[{"title":"About grants"}]',
      truncated: false,
      bytes: 26,
    });
    expect(audit.records[0]).toMatchObject({ outcome: 'ok', attempts: 1, resultBytes: 26, truncated: false });
    expect(audit.records[0]).not.toHaveProperty('errorCode');
  });

  it('returns malformed JSON arguments to the model as invalid input', async () => {
    const { registry, audit } = setup();
    const tools = registry.register(searchDocs).forGrant(['search_docs']);
    const outcome = await tools.call('search_docs', '{"query": "x",');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TOOL_INPUT_INVALID' } });
    if (!outcome.ok) expect(outcome.error.message).toMatch(/not valid JSON/);
    expect(audit.records[0]).toMatchObject({
      outcome: 'error',
      errorCode: 'TOOL_INPUT_INVALID',
      attempts: 0,
    });
    expect(audit.records[0]?.arguments).toBe('{"query": "x",');
  });

  it('returns schema violations with their paths, not retried', async () => {
    const { registry, audit } = setup();
    const tools = registry.register(searchDocs).forGrant(['search_docs']);
    const outcome = await tools.call('search_docs', '{"query":"","limit":500}');
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('TOOL_INPUT_INVALID');
    expect(outcome.error.message).toMatch(/query: Too small/);
    expect(outcome.error.message).toMatch(/limit: Too big/);
    expect(audit.records[0]).toMatchObject({ errorCode: 'TOOL_INPUT_INVALID', attempts: 1 });
    expect(registry.breakerState('search_docs')).toBe('closed');
  });

  it('times out a slow tool, aborts its signal, and retries it (not an effect)', async () => {
    const { registry, audit } = setup({ retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
    const signals: AbortSignal[] = [];
    const slow = defineTool({
      name: 'slow',
      description: 'never answers',
      input: z.object({}),
      timeoutMs: 15,
      // Ignores its signal on purpose: the registry must not wait for it.
      handler: (_input, { signal }) => {
        signals.push(signal);
        return new Promise(() => undefined);
      },
    });
    const outcome = await registry.register(slow).forGrant(['slow']).call('slow', '');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TOOL_TIMEOUT' } });
    expect(signals).toHaveLength(2);
    for (const signal of signals) {
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toMatchObject({ code: 'TOOL_TIMEOUT' });
    }
    expect(audit.records[0]).toMatchObject({ outcome: 'error', errorCode: 'TOOL_TIMEOUT', attempts: 2 });
  });

  it('retries a flaky read-only tool until it succeeds on the third attempt', async () => {
    const { registry, audit } = setup();
    const flaky = counting('flaky_read', { failUntil: 3 });
    const outcome = await registry.register(flaky.tool).forGrant(['flaky_read']).call('flaky_read', '{}', {
      runId: 'r1',
      stepId: 's1',
      callId: 'c9',
    });
    expect(outcome).toMatchObject({ ok: true, content: '{"done":3}' });
    expect(flaky.calls).toHaveLength(3);
    // Every attempt of one call carries the same idempotency key.
    expect(new Set(flaky.calls.map((call) => call.key))).toEqual(new Set(['r1/s1/c9']));
    expect(audit.records[0]).toMatchObject({ outcome: 'ok', attempts: 3 });
  });

  it('never retries an effect that is not idempotent', async () => {
    const { registry, audit } = setup();
    const charge = counting('charge_card', { effect: true, failUntil: 3 });
    const outcome = await registry.register(charge.tool).forGrant(['charge_card']).call('charge_card', '{}');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED' } });
    if (!outcome.ok) expect(outcome.error.message).toContain('flaky failure 1');
    expect(charge.calls).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ errorCode: 'TOOL_FAILED', attempts: 1 });
  });

  it('retries an idempotent effect', async () => {
    const { registry } = setup();
    const upsert = counting('upsert_contact', { effect: true, idempotent: true, failUntil: 3 });
    const outcome = await registry
      .register(upsert.tool)
      .forGrant(['upsert_contact'])
      .call('upsert_contact', '{}');
    expect(outcome).toMatchObject({ ok: true, content: '{"done":3}' });
    expect(upsert.calls).toHaveLength(3);
  });

  it('does not retry a failure the tool marks as not retryable', async () => {
    const { registry } = setup();
    let calls = 0;
    const lookup = defineTool({
      name: 'lookup',
      description: 'l',
      input: z.object({}),
      handler: () => {
        calls += 1;
        throw new ToolError('TOOL_FAILED', 'no customer 42', { retryable: false });
      },
    });
    const outcome = await registry.register(lookup).forGrant(['lookup']).call('lookup', '{}');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED', message: 'no customer 42' } });
    expect(calls).toBe(1);
  });

  it('opens the breaker after consecutive failures, refuses without calling, then half-opens', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const { registry, audit } = setup({
      retry: { attempts: 0, baseMs: 1, maxMs: 1 },
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 10_000 },
    });
    let healthy = false;
    let calls = 0;
    const api = defineTool({
      name: 'weather',
      description: 'w',
      input: z.object({}),
      handler: () => {
        calls += 1;
        if (!healthy) throw new Error('503 from upstream');
        return 'sunny';
      },
    });
    const tools = registry.register(api).forGrant(['weather']);
    for (let i = 0; i < 3; i += 1) {
      expect(await tools.call('weather', '{}')).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED' } });
    }
    expect(registry.breakerState('weather')).toBe('open');
    healthy = true;
    const refused = await tools.call('weather', '{}');
    expect(refused).toMatchObject({ ok: false, error: { code: 'TOOL_CIRCUIT_OPEN' } });
    expect(calls).toBe(3);
    expect(audit.records[3]).toMatchObject({ outcome: 'error', errorCode: 'TOOL_CIRCUIT_OPEN', attempts: 0 });

    vi.setSystemTime(1_000_000 + 10_001);
    expect(await tools.call('weather', '{}')).toMatchObject({ ok: true, content: 'sunny' });
    expect(calls).toBe(4);
    expect(registry.breakerState('weather')).toBe('closed');
  });

  it('caps a large result and tells the model it was truncated', async () => {
    const { registry, audit } = setup();
    const dump = defineTool({
      name: 'dump',
      description: 'd',
      input: z.object({}),
      handler: () => 'row\n'.repeat(10_000),
    });
    const tools = registry.register(dump).forGrant(['dump'], { maxResultBytes: 1_024 });
    const outcome = await tools.call('dump', '{}');
    expect(outcome).toMatchObject({ ok: true, truncated: true, bytes: 40_000 });
    if (!outcome.ok) return;
    expect(utf8Bytes(outcome.content)).toBeLessThanOrEqual(1_024);
    expect(outcome.content).toMatch(/\[truncated: the result was 40000 bytes/);
    expect(audit.records[0]).toMatchObject({ outcome: 'ok', resultBytes: 40_000, truncated: true });
  });

  it('caps error messages too', async () => {
    const { registry } = setup({ maxResultBytes: 300 });
    const noisy = defineTool({
      name: 'noisy',
      description: 'n',
      input: z.object({}),
      handler: () => {
        throw new ToolError('TOOL_FAILED', 'x'.repeat(5_000), { retryable: false });
      },
    });
    const outcome = await registry.register(noisy).forGrant(['noisy']).call('noisy', '{}');
    expect(utf8Bytes(outcome.content)).toBeLessThanOrEqual(300);
  });

  it('audits arguments with PII masked, and the right outcome, duration and size', async () => {
    const { registry, audit } = setup();
    const notify = defineTool({
      name: 'notify',
      description: 'n',
      input: z.object({ to: z.email(), body: z.string() }),
      effect: true,
      handler: ({ to }) => `queued for ${to}`,
    });
    const tools = registry.register(notify).forGrant(['notify']);
    const args = JSON.stringify({ to: 'jane.doe@example.com', body: 'Call me at jane.doe@example.com' });
    const outcome = await tools.call('notify', args, {
      runId: 'r1',
      stepId: 's2',
      tenant: 't1',
      callId: 'c1',
    });
    expect(outcome).toMatchObject({ ok: true, content: 'queued for jane.doe@example.com' });
    const record = audit.records[0];
    expect(record).toEqual({
      at: 1_700_000_000_000,
      runId: 'r1',
      stepId: 's2',
      tenant: 't1',
      callId: 'c1',
      tool: 'notify',
      arguments: '{"to":"[EMAIL_1]","body":"Call me at [EMAIL_1]"}',
      outcome: 'ok',
      attempts: 1,
      durationMs: 5,
      resultBytes: utf8Bytes('queued for jane.doe@example.com'),
      truncated: false,
    });
    expect(JSON.stringify(audit.records)).not.toContain('jane.doe');
  });

  it('masks unparseable arguments too', async () => {
    const { registry, audit } = setup();
    await registry
      .register(searchDocs)
      .forGrant(['search_docs'])
      .call('search_docs', '{"query": "bob@example.org"');
    expect(audit.records[0]?.arguments).toBe('{"query": "[EMAIL_1]"');
  });

  it('stops a call when its run is cancelled, without retrying', async () => {
    const { registry, audit } = setup();
    const controller = new AbortController();
    let attempts = 0;
    const wait = defineTool({
      name: 'wait',
      description: 'w',
      input: z.object({}),
      handler: (_input, { signal }) => {
        attempts += 1;
        controller.abort();
        return new Promise((_resolve, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason));
        });
      },
    });
    const outcome = await registry
      .register(wait)
      .forGrant(['wait'])
      .call('wait', '{}', { signal: controller.signal });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TOOL_CANCELLED' } });
    expect(attempts).toBe(1);
    expect(audit.records[0]).toMatchObject({ errorCode: 'TOOL_CANCELLED' });
    expect(registry.breakerState('wait')).toBe('closed');
  });
});
