/**
 * Reading a run's spans (`GET /v1/runs/{id}/spans`, OpenTelemetry GenAI attribute names): model calls
 * and their usage, tool calls, and the span tree. Pure: no React.
 * @module
 */
import type { Span } from '../runs/run-types';

/** Operations of spans that are one model call (an agent's `invoke_agent` span sums its calls: not one). */
const MODEL_OPERATIONS: ReadonlySet<string> = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
]);

/** Tokens and cost of model calls. */
export interface ModelUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

/** The span's `gen_ai.operation.name`. */
export function operationOf(span: Span): string | undefined {
  const op = span.attributes['gen_ai.operation.name'];
  return typeof op === 'string' ? op : undefined;
}

/** True for a span that is one model call. */
export function isModelCall(span: Span): boolean {
  return MODEL_OPERATIONS.has(operationOf(span) ?? '');
}

/** A numeric attribute, or 0. */
export function num(span: Span, name: string): number {
  const v = span.attributes[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** A string attribute, or undefined. */
export function str(span: Span, name: string): string | undefined {
  const v = span.attributes[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Usage summed over the model-call spans among `spans`; undefined when there are no spans at all
 * (tracing off), so that "no data" is not shown as zero.
 */
export function modelUsageOf(spans: readonly Span[]): ModelUsage | undefined {
  if (spans.length === 0) return undefined;
  const u: ModelUsage = {
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
  };
  for (const s of spans) {
    if (!isModelCall(s)) continue;
    u.calls += 1;
    u.inputTokens += num(s, 'gen_ai.usage.input_tokens');
    u.outputTokens += num(s, 'gen_ai.usage.output_tokens');
    u.cachedInputTokens += num(s, 'gen_ai.usage.cache_read.input_tokens');
    u.reasoningTokens += num(s, 'gen_ai.usage.reasoning.output_tokens');
    u.costUsd += num(s, 'gen_ai.usage.cost');
  }
  return u;
}

/** The spans of one step: those tagged with the step, and everything under them. */
export function spansOfStep(spans: readonly Span[], stepId: string): Span[] {
  const inside = new Set<string>();
  for (const s of spans) if (s.stepId === stepId) inside.add(s.spanId);
  // Spans come sorted by start time, so a parent is met before its children.
  for (const s of spans) if (s.parentSpanId && inside.has(s.parentSpanId)) inside.add(s.spanId);
  return spans.filter((s) => inside.has(s.spanId));
}

/** A node of the span tree. */
export interface SpanNode {
  span: Span;
  children: SpanNode[];
  depth: number;
}

/** The spans as a forest: a span whose parent is not among them is a root. Children by start time. */
export function spanForest(spans: readonly Span[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>();
  for (const span of spans) nodes.set(span.spanId, { span, children: [], depth: 0 });
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId ? nodes.get(node.span.parentSpanId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.span.startTime - b.span.startTime;
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop() as SpanNode;
    node.children.sort(byStart);
    for (const c of node.children) {
      c.depth = node.depth + 1;
      stack.push(c);
    }
  }
  return roots.sort(byStart);
}

/** Span attributes carry JSON as text: shown parsed when it parses. */
export function parseMaybe(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
