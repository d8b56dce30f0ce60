/**
 * Tracing: one OpenTelemetry trace per run, kept in Baton's span store (and sent to an OTLP
 * collector when one is configured).
 *
 * The shape of a trace: the run's `invoke_workflow {workflow}` span; under it a span per step attempt;
 * under those, `invoke_agent {name}`, `chat {model}`, `embeddings {model}` and `execute_tool {name}`;
 * a child run's `invoke_workflow` span under the span that started it.
 *
 * Ids are derived, not coordinated: the trace id is the run's `traceId` (child runs inherit it), the
 * run span's id is a hash of the run id and an attempt's a hash of its task, so a retry or a takeover
 * in another process parents its spans to the same run span. The run span itself is recorded, with
 * the run's stored `createdAt` and `finishedAt`, by the process whose commit finished the run
 * ({@link Tracing.watch} on `store.onRunFinished`): exactly one process writes that commit.
 * @module
 */

import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { toErrorInfo } from '../../core/errors.js';
import type { ClaimedTask, Run, StepOutcome } from '../../core/types.js';
import type { AttemptRecord } from '../../store/port.js';
import { TRACING_KEY } from '../context-keys.js';
import type { SpanStore } from '../spans/port.js';
import { DEFAULT_CONTENT_BYTES, maskedContent } from './content.js';
import { installContextManager } from './context-manager.js';
import { errorType } from './genai-attributes.js';
import { attemptSpanId, childSpanId, DerivedIds, otelTraceId, runSpanId } from './ids.js';
import { PARENT_SPAN_TAG } from './parent-span-tag.js';
import { SpanStoreExporter } from './span-store-exporter.js';

/** Options of {@link createTracing}. */
export interface TracingOptions {
  /** Where spans are kept for the dashboard and the API. */
  spanStore?: SpanStore;
  /** Also send spans to an OTLP/HTTP collector (`http://collector:4318/v1/traces`). */
  otlp?: { url: string; headers?: Record<string, string> };
  /** Extra exporters (tests, a console exporter). */
  exporters?: SpanExporter[];
  /** Record message content (masked, truncated) on model and tool spans. @defaultValue false */
  captureContent?: boolean;
  /** Longest content kept, in UTF-8 bytes. @defaultValue 4096 */
  maxContentBytes?: number;
  /** The `service.name` resource attribute. @defaultValue 'baton' */
  serviceName?: string;
  /** How often queued spans are written. @defaultValue 1000 */
  flushIntervalMs?: number;
  /** Called when spans cannot be written (the store is down); tracing never fails a step. */
  onError?: (error: unknown) => void;
}

export { PARENT_SPAN_TAG };

/** What {@link Tracing.watch} reads of the engine's store. */
export type RunSource = {
  getRun(id: string): Promise<Run | undefined>;
  listAttempts(runId: string): Promise<AttemptRecord[]>;
  onRunFinished(listener: (run: { id: string }) => void): () => void;
};

/**
 * Creates the tracing that `Baton.open({ tracing })` and `Gateway.open({ tracing })` take.
 * @example
 * const tracing = createTracing({ spanStore: await openSqliteSpanStore({ path: '.baton/baton.db' }) });
 * const baton = await Baton.open({ tracing });
 */
export function createTracing(options: TracingOptions = {}): Tracing {
  return new Tracing(options);
}

/** A tracer provider writing to Baton's span store; see {@link createTracing}. */
export class Tracing {
  readonly captureContent: boolean;
  readonly maxContentBytes: number;
  readonly tracer: Tracer;
  readonly #provider: BasicTracerProvider;
  readonly #ids = new DerivedIds();
  readonly #pending = new Set<Promise<void>>();
  readonly #onError: (error: unknown) => void;

  constructor(options: TracingOptions) {
    installContextManager();
    this.captureContent = options.captureContent ?? false;
    this.maxContentBytes = options.maxContentBytes ?? DEFAULT_CONTENT_BYTES;
    this.#onError = options.onError ?? (() => {});
    // A queue deep enough for a busy worker's spans between two flushes; beyond it, spans are dropped.
    const batch = {
      scheduledDelayMillis: options.flushIntervalMs ?? 1000,
      maxExportBatchSize: 1024,
      maxQueueSize: 16_384,
    };
    const processors: SpanProcessor[] = [];
    if (options.spanStore) {
      processors.push(new BatchSpanProcessor(new SpanStoreExporter(options.spanStore, this.#onError), batch));
    }
    if (options.otlp) {
      const exporter = new OTLPTraceExporter({
        url: options.otlp.url,
        ...(options.otlp.headers ? { headers: options.otlp.headers } : {}),
      });
      processors.push(new BatchSpanProcessor(exporter, batch));
    }
    for (const exporter of options.exporters ?? []) processors.push(new BatchSpanProcessor(exporter, batch));
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'baton' }),
      idGenerator: this.#ids,
      spanProcessors: processors,
    });
    this.tracer = this.#provider.getTracer('baton');
  }

  /** The context a step attempt's spans hang from: its run's span, wherever that is recorded. */
  runContext(run: Pick<Run, 'id' | 'traceId'>): Context {
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId: otelTraceId(run.traceId),
      spanId: runSpanId(run.id),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  }

  /** Starts the span of a step attempt; returns it and the context its body runs in. */
  startAttempt(task: ClaimedTask): { span: Span; ctx: Context } {
    const label = task.kind === 'finalize' ? task.run.workflow : task.stepId;
    const attributes: Attributes = {
      'baton.run_id': task.runId,
      'baton.task_kind': task.kind,
      'baton.attempt': task.attempt,
      'baton.workflow': task.run.workflow,
      'baton.workflow_version': task.run.versionId,
      'baton.tenant': task.run.tenant,
    };
    if (task.stepId !== '') attributes['baton.step_id'] = task.stepId;
    if (task.item >= 0) attributes['baton.item'] = task.item;
    const parent = this.runContext(task.run);
    const span = this.#ids.next({ spanId: attemptSpanId(task) }, () =>
      this.tracer.startSpan(
        `${task.kind} ${label}${task.item >= 0 ? `[${task.item}]` : ''}`,
        { kind: SpanKind.INTERNAL, attributes },
        parent,
      ),
    );
    return { span, ctx: trace.setSpan(parent, span).setValue(TRACING_KEY, this) };
  }

  /** Ends a step attempt's span with its outcome (or the error its body threw). */
  endAttempt(span: Span, returned: StepOutcome | undefined, error?: unknown): void {
    // A body that threw fails the attempt as the worker reports it.
    const outcome: StepOutcome = returned ?? { type: 'failed', error: toErrorInfo(error) };
    span.setAttribute('baton.step.outcome', outcome.type);
    if (outcome.type === 'failed') {
      span.setAttribute('error.type', outcome.error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
    } else {
      span.setStatus({ code: SpanStatusCode.OK });
    }
    span.end();
  }

  /**
   * Runs `body` in a span under the current one (model calls, tools, agents). Outside a traced step
   * there is no current span and `body` runs alone: calls made outside runs are not traced.
   */
  async inSpan<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    body: (span: Span) => Promise<T>,
    options: { derivedId?: boolean } = {},
  ): Promise<T> {
    const started = this.startChild(name, kind, attributes, options);
    if (!started) return body(NOT_RECORDING);
    const { span, ctx } = started;
    try {
      return await context.with(ctx, () => body(span));
    } catch (error) {
      this.fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Starts a span under the current one, or nothing outside a traced step; the caller ends it. With
   * `derivedId`, its id derives from its parent's and its name (see {@link childSpanId}).
   */
  startChild(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    options: { derivedId?: boolean } = {},
  ): { span: Span; ctx: Context } | undefined {
    const parent = context.active();
    const parentSpan = trace.getSpan(parent);
    if (!parentSpan) return undefined;
    const start = () => this.tracer.startSpan(name, { kind, attributes }, parent);
    const span = options.derivedId
      ? this.#ids.next({ spanId: childSpanId(parentSpan.spanContext().spanId, name) }, start)
      : start();
    return { span, ctx: trace.setSpan(parent, span) };
  }

  /** Marks a span failed by `error`. */
  fail(span: Span, error: unknown): void {
    span.setAttribute('error.type', errorType(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: (error as Error | null)?.message ?? String(error),
    });
  }

  /** `value` for a content attribute: masked and cut, or undefined when content capture is off. */
  content(value: unknown): string | undefined {
    return this.captureContent ? maskedContent(value, this.maxContentBytes) : undefined;
  }

  /** Records the run span of every run this process finishes. Returns the unsubscribe function. */
  watch(store: RunSource): () => void {
    return store.onRunFinished(({ id }) => {
      const recording = this.recordRun(store, id).catch(this.#onError);
      this.#pending.add(recording);
      void recording.finally(() => this.#pending.delete(recording));
    });
  }

  /** Records the `invoke_workflow` span of a finished run, from its stored times. */
  async recordRun(store: Omit<RunSource, 'onRunFinished'>, runId: string): Promise<void> {
    const run = await store.getRun(runId);
    if (!run || run.finishedAt === undefined) return;
    const traceId = otelTraceId(run.traceId);
    const parentSpanId = await parentSpanOf(store, run);
    const parent = parentSpanId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: parentSpanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    const attributes: Attributes = {
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.workflow.name': run.workflow,
      'baton.run_id': run.id,
      'baton.workflow': run.workflow,
      'baton.workflow_version': run.versionId,
      'baton.tenant': run.tenant,
      'baton.run.status': run.status,
      'baton.run.depth': run.depth,
    };
    if (traceId !== run.traceId) attributes['baton.trace_id'] = run.traceId;
    if (run.parentRunId) attributes['baton.parent_run_id'] = run.parentRunId;
    if (run.parentStepId) attributes['baton.parent_step_id'] = run.parentStepId;
    const span = this.#ids.next({ traceId, spanId: runSpanId(run.id) }, () =>
      this.tracer.startSpan(
        `invoke_workflow ${run.workflow}`,
        { kind: SpanKind.INTERNAL, attributes, startTime: run.createdAt },
        parent,
      ),
    );
    if (run.status === 'succeeded') span.setStatus({ code: SpanStatusCode.OK });
    else {
      span.setAttribute('error.type', run.error?.code ?? run.status.toUpperCase());
      span.setStatus({ code: SpanStatusCode.ERROR, message: run.error?.message ?? run.status });
    }
    span.end(run.finishedAt);
  }

  /** Writes every span ended so far (run spans being recorded included). */
  async flush(): Promise<void> {
    await Promise.all(this.#pending);
    await this.#provider.forceFlush();
  }

  /** Flushes, then stops the exporters. */
  async shutdown(): Promise<void> {
    await Promise.all(this.#pending);
    await this.#provider.shutdown();
  }
}

const NOT_RECORDING = trace.wrapSpanContext({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: TraceFlags.NONE,
});

/**
 * The span a run's span hangs from: a delegation's tag names it; a workflow step's child hangs from
 * the parent step's attempt that started it (the last one to start before the child was created).
 */
async function parentSpanOf(store: Omit<RunSource, 'onRunFinished'>, run: Run): Promise<string | undefined> {
  const tag = run.tags.find((t) => t.startsWith(PARENT_SPAN_TAG));
  if (tag) return tag.slice(PARENT_SPAN_TAG.length);
  if (!run.parentRunId || !run.parentStepId) return undefined;
  let attempt = 0;
  for (const a of await store.listAttempts(run.parentRunId)) {
    if (a.kind === 'step' && a.stepId === run.parentStepId && a.startedAt <= run.createdAt) {
      attempt = Math.max(attempt, a.attempt);
    }
  }
  if (attempt === 0) return undefined;
  return attemptSpanId({ runId: run.parentRunId, kind: 'step', stepId: run.parentStepId, item: -1, attempt });
}
