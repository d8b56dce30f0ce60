/**
 * The tag that parents a run's span to a span outside it: a delegating agent's, or the span of an
 * API caller that sent `traceparent`. A module of its own, so that the API can set it without loading
 * the tracing SDK.
 * @module
 */

/** `baton.parent-span:<span id>` on a run: its run span is parented to that span. */
export const PARENT_SPAN_TAG = 'baton.parent-span:';
