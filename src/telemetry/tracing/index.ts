/**
 * Tracing: spans of runs, steps, agents, model and tool calls, kept in the span store.
 * @module
 */
export { activeTracing, childRunTrace } from './call-spans.js';
export { AsyncLocalContextManager } from './context-manager.js';
export { type ReadRunTraceOptions, readRunTrace } from './engine-spans.js';
export { attemptSpanId, otelTraceId, runSpanId } from './ids.js';
export { createTracing, PARENT_SPAN_TAG, Tracing, type TracingOptions } from './tracing.js';
