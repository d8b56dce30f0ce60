/**
 * Trace context across HTTP boundaries and to collectors: `traceparent` on MCP streamable-HTTP
 * requests, streamed chat spans, no spans for calls made outside a run, and OTLP export.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { createTracing } from '../../src/telemetry/tracing/tracing.js';
import { createTransport } from '../../src/tools/mcp/mcp-transport.js';
import { type FakeOpenAI, startFakeOpenAI } from '../gateway/fakes/index.js';
import { fastRouteTo, startGateway } from '../gateway/harness.js';
import { startTracedEngine, type TracedEngine } from './traced-engine.js';

let up: FakeOpenAI;
let engine: TracedEngine | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  up = await startFakeOpenAI();
});
afterAll(() => up.close());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await engine?.close();
  engine = undefined;
});

/** An HTTP server answering every POST with `body`, recording the headers it was sent. */
async function recorder(
  body: (raw: string) => string,
): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => {
      raw += d.toString();
    });
    req.on('end', () => {
      seen.push(req.headers);
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(body(raw));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

it('sends the current span as traceparent on MCP streamable-HTTP requests', async () => {
  const server = await recorder((raw) =>
    JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(raw).id, result: {} }),
  );
  const tracing = createTracing();
  cleanups.push(() => tracing.shutdown());
  const { transport, release } = createTransport({ kind: 'http', url: `${server.url}/mcp` });
  cleanups.push(release, () => transport.close());
  await transport.start();
  await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
  const span = tracing.tracer.startSpan('step x');
  await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
    transport.send({ jsonrpc: '2.0', id: 2, method: 'ping' }),
  );
  span.end();
  const { traceId, spanId } = span.spanContext();
  expect(server.seen.map((h) => h.traceparent)).toEqual([undefined, `00-${traceId}-${spanId}-01`]);
});

it('records a streamed chat call, its span ending with the stream', async () => {
  engine = await startTracedEngine(up);
  const gw = await startGateway(fastRouteTo(up.url), { tracing: engine.tracing });
  cleanups.push(() => gw.close());
  up.setScript({ text: 'streamed answer', usage: { inputTokens: 7, outputTokens: 3 } });
  await engine.baton.register(
    workflow({ name: 'stream', version: '1', input: z.object({}) })
      .step('ask', {
        run: async (ctx) => {
          const stream = await gw.gateway
            .forRun(ctx.run, { signal: ctx.signal })
            .chatStream({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'hi' }] });
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
          return text;
        },
      })
      .build(),
  );
  const run = await engine.baton.waitForRun((await engine.baton.submit('stream', {})).id);
  expect(run.output).toEqual({ ask: 'streamed answer' });
  const spans = await engine.trace(run);
  const chat = spans.find((s) => s.name === 'chat fast');
  expect(chat?.parentSpanId).toBe(spans.find((s) => s.name === 'step ask')?.spanId);
  expect(chat?.attributes).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.stream': true,
    'gen_ai.provider.name': 'openai',
    'gen_ai.usage.input_tokens': 7,
    'gen_ai.usage.output_tokens': 3,
    'gen_ai.response.time_to_first_chunk': expect.any(Number),
  });
});

it('records nothing for gateway calls made outside a run', async () => {
  engine = await startTracedEngine(up);
  const gw = await startGateway(fastRouteTo(up.url), { tracing: engine.tracing });
  cleanups.push(() => gw.close());
  up.requests.length = 0;
  await gw.gateway.chat(
    { model: 'fast', messages: [{ role: 'user', content: 'hello' }] },
    { tenant: 'acme' },
  );
  expect(up.requests[0]?.headers.traceparent).toBeUndefined();
});

it('exports spans to an OTLP collector when one is configured', async () => {
  const collector = await recorder(() => '{}');
  const tracing = createTracing({
    otlp: { url: `${collector.url}/v1/traces`, headers: { 'x-team': 'ops' } },
    flushIntervalMs: 10,
  });
  const span = tracing.tracer.startSpan('invoke_workflow demo');
  span.end();
  await tracing.flush();
  await tracing.shutdown();
  expect(collector.seen).toHaveLength(1);
  expect(collector.seen[0]?.['x-team']).toBe('ops');
});
