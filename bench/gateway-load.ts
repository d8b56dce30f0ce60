/**
 * The gateway benchmark's load generator: HTTP calls over keep-alive undici pools (plain and
 * streamed, with time to first token), a closed loop, calls alternating between two endpoints at
 * concurrency 1, an open loop at a fixed rate, and the spread of the latencies.
 */
import { Pool } from 'undici';
import { percentile } from './common.js';

/** One chat endpoint (the upstream or the gateway) and how to call it. */
export interface Endpoint {
  name: string;
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  body: string;
  streamBody: string;
}

/** A keep-alive pool to `origin`, sized for the open loop's in-flight calls. */
export function poolFor(origin: string): Pool {
  return new Pool(origin, {
    connections: 512,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
}

/** A call that did not end in 200 with a complete body. */
export class CallFailed extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

/** A non-streamed chat: milliseconds until the whole body has arrived. @throws CallFailed on non-200 */
export async function chat(endpoint: Endpoint): Promise<number> {
  const started = performance.now();
  const response = await endpoint.pool.request({
    path: endpoint.path,
    method: 'POST',
    headers: endpoint.headers,
    body: endpoint.body,
  });
  const text = await response.body.text();
  const ms = performance.now() - started;
  if (response.statusCode !== 200)
    throw new CallFailed(`status ${response.statusCode}: ${text.slice(0, 160)}`);
  return ms;
}

/** The full text of a non-streamed chat answer (for the sanity check). */
export async function chatAnswer(endpoint: Endpoint): Promise<{ status: number; content: string }> {
  const response = await endpoint.pool.request({
    path: endpoint.path,
    method: 'POST',
    headers: endpoint.headers,
    body: endpoint.body,
  });
  const json = (await response.body.json()) as { choices?: Array<{ message?: { content?: string } }> };
  return { status: response.statusCode, content: json.choices?.[0]?.message?.content ?? '' };
}

/** A streamed chat's timings: to the first SSE event with content, and to the end of the stream. */
export interface StreamTimes {
  /** To the response's status line and headers. */
  headersMs: number;
  ttftMs: number;
  totalMs: number;
  content: string;
}

/** A streamed chat. @throws CallFailed on non-200, no content, or no `[DONE]` */
export async function chatStream(endpoint: Endpoint): Promise<StreamTimes> {
  const started = performance.now();
  const response = await endpoint.pool.request({
    path: endpoint.path,
    method: 'POST',
    headers: endpoint.headers,
    body: endpoint.streamBody,
  });
  const headersMs = performance.now() - started;
  if (response.statusCode !== 200) {
    const text = await response.body.text();
    throw new CallFailed(`status ${response.statusCode}: ${text.slice(0, 160)}`);
  }
  const decoder = new TextDecoder();
  let buffer = '';
  let content = '';
  let ttftMs = Number.NaN;
  let done = false;
  for await (const piece of response.body) {
    buffer += decoder.decode(piece as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (!event.startsWith('data: ')) continue;
      const data = event.slice(6);
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string | null } }> };
      const delta = chunk.choices?.[0]?.delta?.content;
      if (typeof delta === 'string' && delta.length > 0) {
        if (Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
        content += delta;
      }
    }
  }
  const totalMs = performance.now() - started;
  if (Number.isNaN(ttftMs)) throw new CallFailed('stream without content');
  if (!done) throw new CallFailed('stream without [DONE]');
  return { headersMs, ttftMs, totalMs, content };
}

// ---------------------------------------------------------------------------------------------
// Load shapes

/** Runs `call` `total` times with `concurrency` calls in flight (warm-up). */
export async function closedLoop(call: () => Promise<unknown>, total: number, concurrency: number) {
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started += 1;
      await call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/**
 * Concurrency 1, `pairs` times one call to each of `a` and `b`, alternating which goes first, so
 * that drift (GC, JIT, a neighbour's load) lands on both alike.
 */
export async function alternating<T>(
  pairs: number,
  a: () => Promise<T>,
  b: () => Promise<T>,
): Promise<{ a: T[]; b: T[] }> {
  const out = { a: [] as T[], b: [] as T[] };
  for (let i = 0; i < pairs; i += 1) {
    if (i % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

/** What an open-loop run measured. */
export interface OpenLoopResult {
  /** Latency of each successful call, ms from the moment it was sent. */
  latencies: number[];
  /** How late calls were sent against their schedule (the load generator's own lag), ms. */
  lags: number[];
  sent: number;
  ok: number;
  errors: Map<string, number>;
  /** Seconds from the first send to the last. */
  sendSeconds: number;
}

/**
 * Open loop: call `i` is due at `i / rps` seconds, whether earlier calls have answered or not, so a
 * slow server meets more concurrent calls instead of fewer (no coordinated omission). Calls still
 * unanswered `drainMs` after the last send count as errors.
 */
export async function openLoop(
  call: () => Promise<unknown>,
  rps: number,
  seconds: number,
  drainMs = 15_000,
): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(rps * seconds));
  const latencies: number[] = [];
  const lags = new Array<number>(total);
  const errors = new Map<string, number>();
  const fail = (kind: string) => errors.set(kind, (errors.get(kind) ?? 0) + 1);
  let sent = 0;
  let settled = 0;
  let lastSend = 0;
  const start = performance.now();
  let drain: NodeJS.Timeout | undefined;
  await new Promise<void>((resolveAll) => {
    const fire = (i: number) => {
      const at = performance.now();
      lags[i] = at - (start + (i * 1000) / rps);
      lastSend = at;
      call()
        .then(
          () => latencies.push(performance.now() - at),
          (err: unknown) => fail(err instanceof CallFailed ? err.kind : `thrown: ${(err as Error).message}`),
        )
        .finally(() => {
          settled += 1;
          if (settled === total) resolveAll();
        });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rps) / 1000) + 1);
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
      else drain = setTimeout(resolveAll, drainMs);
    };
    tick();
  });
  clearTimeout(drain);
  const unanswered = total - settled;
  if (unanswered > 0) errors.set(`no answer ${drainMs} ms after the last send`, unanswered);
  // Copies: calls given up on may still settle later and must not change the figures.
  return {
    latencies: latencies.slice(),
    lags,
    sent,
    ok: latencies.length,
    errors: new Map(errors),
    sendSeconds: (lastSend - start) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Calls sent per second: `sent` calls span `sent - 1` intervals. */
export function achievedRate(result: OpenLoopResult): number {
  return result.sent > 1 ? (result.sent - 1) / result.sendSeconds : Number.NaN;
}

/** p50, p99 and max of a list of milliseconds. */
export interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** The spread of `values` (sorted in place). */
export function spread(values: number[]): Spread {
  values.sort((x, y) => x - y);
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values[values.length - 1] ?? Number.NaN,
  };
}
