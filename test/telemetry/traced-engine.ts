/**
 * An engine with telemetry on, for the tracing tests: SQLite engine, span store and agent store in
 * one temp file, a gateway with tracing routed to a fake OpenAI upstream, agents enabled, one worker.
 * Spans are read back from the span store, as the dashboard reads them.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { z } from 'zod';
import type { AgentDefinition } from '../../src/agents/agent/index.js';
import { enableAgents, openAgentStore } from '../../src/agents/enable-agents.js';
import type { Run } from '../../src/core/types.js';
import { Baton } from '../../src/runtime/baton.js';
import { createLogger } from '../../src/telemetry/logs.js';
import type { SpanStore, StoredSpan } from '../../src/telemetry/spans/port.js';
import { openSqliteSpanStore } from '../../src/telemetry/spans/sqlite-span-store.js';
import { readRunTrace } from '../../src/telemetry/tracing/engine-spans.js';
import { createTracing, type Tracing } from '../../src/telemetry/tracing/tracing.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { type FakeOpenAI, startFakeOpenAI } from '../gateway/fakes/index.js';
import { fastRouteTo, startGateway } from '../gateway/harness.js';
import { tempDir } from '../temp-dir.js';

/** A running traced engine. */
export interface TracedEngine {
  baton: Baton;
  tracing: Tracing;
  spans: SpanStore;
  /** Every log line written, parsed. */
  logs: Record<string, unknown>[];
  /** A run's trace (engine spans derived, the others stored), once every span ended so far is written. */
  trace(run: Run): Promise<StoredSpan[]>;
  close(): Promise<void>;
}

/** Starts a traced engine whose agents call `up`. */
export async function startTracedEngine(
  up: FakeOpenAI,
  options: { agents?: AgentDefinition[]; captureContent?: boolean } = {},
): Promise<TracedEngine> {
  const { dir, cleanup } = tempDir('baton-tracing-');
  const path = `${dir}/baton.db`;
  const spans = await openSqliteSpanStore({ path });
  const tracing = createTracing({
    spanStore: spans,
    flushIntervalMs: 20,
    ...(options.captureContent ? { captureContent: true } : {}),
  });
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const gw = await startGateway(fastRouteTo(up.url), { tracing });
  const baton = await Baton.open({ dataDir: dir, tracing, logger });
  const store = await openAgentStore({ dataDir: dir });
  const ai = await enableAgents(baton, {
    gateway: gw.gateway,
    store,
    agents: options.agents ?? [],
    tools: [
      defineTool({
        name: 'lookup_order',
        description: 'Looks an order up by id.',
        input: z.object({ id: z.string() }),
        handler: (input) => ({ id: input.id, status: 'shipped' }),
      }),
    ],
  });
  baton.worker({ pollMs: 10 });
  return {
    baton,
    tracing,
    spans,
    logs,
    async trace(run) {
      await tracing.flush();
      return readRunTrace({ store: baton.store, spans }, run);
    },
    async close() {
      await baton.close();
      await ai.close();
      await store.close();
      await gw.close();
      await tracing.shutdown();
      await spans.close();
      cleanup();
    },
  };
}

/**
 * The hooks of a tracing test file: one fake upstream for the whole file (`up`), and `start`, which
 * opens a traced engine on it (`engine`) that is closed after each test.
 */
export function tracedEngineFixture() {
  let up: FakeOpenAI | undefined;
  let engine: TracedEngine | undefined;
  beforeAll(async () => {
    up = await startFakeOpenAI();
  });
  afterAll(() => up?.close());
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });
  const upstream = (): FakeOpenAI => {
    if (!up) throw new Error('the fake upstream starts in beforeAll: use it inside a test');
    return up;
  };
  return {
    get up(): FakeOpenAI {
      return upstream();
    },
    /** The engine the current test started. */
    get engine(): TracedEngine {
      if (!engine) throw new Error('no traced engine: call start() first');
      return engine;
    },
    async start(options?: Parameters<typeof startTracedEngine>[1]): Promise<TracedEngine> {
      engine = await startTracedEngine(upstream(), options);
      return engine;
    },
  };
}

/** A span tree node, for exact assertions. */
export interface SpanNode {
  name: string;
  kind: string;
  children: SpanNode[];
}

/** The spans as a tree (children by start time), from the root(s). */
export function spanTree(spans: readonly StoredSpan[]): SpanNode[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const node = (span: StoredSpan): SpanNode => ({
    name: span.name,
    kind: span.kind,
    children: spans
      .filter((c) => c.parentSpanId === span.spanId)
      .sort((a, b) => a.startTime - b.startTime)
      .map(node),
  });
  return spans.filter((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)).map(node);
}

/** The only span named `name`. */
export function only(spans: readonly StoredSpan[], name: string): StoredSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length}`);
  return found[0] as StoredSpan;
}
