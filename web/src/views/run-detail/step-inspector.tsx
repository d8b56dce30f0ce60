/**
 * The step inspector: one step of the run with what it received and produced, its attempts, its
 * model calls (messages, tokens with cached and reasoning, cost) and tool calls, and its error.
 * Data: the run and its history (already loaded by the page), `GET /v1/runs/{id}/steps/{stepId}`
 * (attempts and the gateway's request log) and the step's spans (model and tool calls).
 * @module
 */
import { Fragment, useState } from 'react';
import { Link } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { formatCount, formatDuration, formatTime, formatUsd } from '../../components/format';
import { ErrorBox, JsonView, StatusBadge } from '../../components/ui';
import type { ErrorInfo, GraphStep, RunWithSteps, Span, StepState } from '../runs/run-types';
import { Tokens } from './run-header';
import { isModelCall, modelUsageOf, num, operationOf, parseMaybe, spansOfStep, str } from './spans';

/** `GET /v1/runs/{id}/steps/{stepId}`. */
export interface StepDetail {
  runId: string;
  stepId: string;
  state?: StepState;
  node: GraphStep | null;
  attempts: {
    item: number;
    attempt: number;
    kind: string;
    workerId: string;
    status: string;
    startedAt: number;
    finishedAt?: number;
    error?: unknown;
  }[];
  modelCalls: ModelCall[];
  usage: {
    calls: number;
    errors: number;
    inputTokens: number;
    outputTokens: number;
    cachedInputTokens: number;
    reasoningTokens: number;
    costUsd: number;
  };
  modelCallsTruncated: boolean;
}

/** One entry of the gateway's request log. */
interface ModelCall {
  id: string;
  at: number;
  route: string;
  target?: string;
  endpoint: string;
  stream: boolean;
  status: string;
  errorCode?: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  latencyMs: number;
  ttftMs?: number;
  cacheHit: boolean;
  retries: number;
  fallbacks: number;
  request?: unknown;
  response?: unknown;
}

/** The inspector of `stepId` in `run`; refreshed every few seconds while the step is not settled. */
export function StepInspector(props: {
  run: RunWithSteps;
  stepId: string;
  graphStep: GraphStep | undefined;
  /** A `map` item chosen in the timeline: its attempts are the ones listed. */
  item?: number;
  spans: Span[] | undefined;
  live: boolean;
}) {
  const { run, stepId, item } = props;
  const state = run.steps.find((s) => s.stepId === stepId);
  const settled =
    state !== undefined && ['succeeded', 'failed', 'skipped', 'cancelled'].includes(state.status);
  const detail = useApiGet<StepDetail>(
    `/v1/runs/${encodeURIComponent(run.id)}/steps/${encodeURIComponent(stepId)}`,
    undefined,
    props.live && !settled ? { refetchMs: 2000 } : {},
  );
  const stepSpans = props.spans ? spansOfStep(props.spans, stepId) : [];
  const spanUsage = modelUsageOf(stepSpans);
  const d = detail.data;
  // The gateway's request log is the record of what was billed; spans stand in when it has nothing.
  const usage = d && d.usage.calls > 0 ? d.usage : spanUsage;
  const node = d?.node ?? props.graphStep;
  const needs = node?.needs ?? [];
  const received: Record<string, unknown> = {};
  for (const n of needs) received[n] = run.steps.find((s) => s.stepId === n)?.output;
  const toolSpans = stepSpans.filter((s) => operationOf(s) === 'execute_tool');
  const modelSpans = stepSpans.filter(isModelCall);

  return (
    <div className="inspector" data-testid="step-inspector" data-step={stepId}>
      <div className="inspector-head">
        <h3 className="mono">{stepId}</h3>
        {node && <span className="kind-label">{node.kind}</span>}
        <StatusBadge status={state?.status ?? 'pending'} />
        {node?.effect && (
          <span className="flag" title="Changes the outside world">
            effect
          </span>
        )}
        {node?.idempotent && <span className="flag">idempotent</span>}
        {node?.compensable && <span className="flag">compensable</span>}
        {state?.compensation && <span className="flag">compensation {state.compensation}</span>}
      </div>
      <dl className="facts">
        <div className="fact">
          <dt>Attempts</dt>
          <dd className="num">
            {state?.attempt ?? 0}
            {node?.retry && <span className="muted"> of {node.retry.maxAttempts}</span>}
          </dd>
        </div>
        <div className="fact">
          <dt>Started</dt>
          <dd title={formatTime(state?.startedAt)}>{formatTime(state?.startedAt)}</dd>
        </div>
        <div className="fact">
          <dt>Duration</dt>
          <dd className="num">
            {state?.startedAt === undefined
              ? '–'
              : formatDuration((state.finishedAt ?? Date.now()) - state.startedAt)}
          </dd>
        </div>
        <div className="fact">
          <dt>Tokens</dt>
          <dd>
            <Tokens usage={usage} />
          </dd>
        </div>
        <div className="fact">
          <dt>Cost</dt>
          <dd className="num" data-testid="step-cost">
            {usage ? formatUsd(usage.costUsd) : '–'}
          </dd>
        </div>
      </dl>
      {detail.error && <ErrorBox error={detail.error} />}
      {state?.error && <StepError error={state.error} />}
      {state?.wait && <WaitLine wait={state.wait} />}
      {state?.map && (
        <div className="muted small">
          Items: {state.map.total} in all, {state.map.succeeded} succeeded, {state.map.failed} failed,{' '}
          {state.map.running} running.
        </div>
      )}

      <div className="grid grid-2 inspector-io">
        <section>
          <h4>Input</h4>
          {needs.length === 0 ? (
            <>
              <div className="muted small">The run's input (the step needs no other step):</div>
              <JsonView value={run.input} maxChars={50_000} />
            </>
          ) : (
            <>
              <div className="muted small">
                The outputs of the steps it needs, which its input is made from:
              </div>
              <JsonView value={received} maxChars={50_000} />
            </>
          )}
        </section>
        <section data-testid="step-output">
          <h4>Output</h4>
          {state?.output === undefined ? (
            <div className="muted small">{settled ? 'No output.' : 'Not produced yet.'}</div>
          ) : (
            <JsonView value={state.output} maxChars={50_000} />
          )}
        </section>
      </div>

      <h4>Attempts</h4>
      {!d ? (
        <div className="muted small">{detail.error ? '' : 'Loading…'}</div>
      ) : d.attempts.length === 0 ? (
        <div className="muted small">No attempt has run yet.</div>
      ) : (
        <>
          {item !== undefined && (
            <div className="muted small">
              Item {item}'s attempts ({d.attempts.filter((a) => a.item === item).length} of{' '}
              {d.attempts.length} for the step; choose the step's row in the timeline for all).
            </div>
          )}
          <AttemptsTable
            attempts={item === undefined ? d.attempts : d.attempts.filter((a) => a.item === item)}
          />
        </>
      )}

      <h4>Model calls</h4>
      {d && d.modelCalls.length > 0 ? (
        <ModelCallsTable calls={d.modelCalls} truncated={d.modelCallsTruncated} />
      ) : modelSpans.length > 0 ? (
        <ModelSpans spans={modelSpans} />
      ) : (
        <div className="muted small">This step made no model call.</div>
      )}

      {toolSpans.length > 0 && (
        <>
          <h4>Tool calls</h4>
          <ToolCalls spans={toolSpans} />
        </>
      )}
    </div>
  );
}

function StepError(props: { error: ErrorInfo }) {
  const e = props.error;
  return (
    <div className="error" data-testid="step-error">
      <strong>{e.code}</strong> {e.message}
      {e.retryable !== undefined && (
        <span className="muted"> ({e.retryable ? 'retryable' : 'not retryable'})</span>
      )}
      {e.details !== undefined && <JsonView value={e.details} maxChars={20_000} />}
    </div>
  );
}

function WaitLine(props: { wait: NonNullable<StepState['wait']> }) {
  const w = props.wait;
  return (
    <div className="wait-line">
      Waiting for{' '}
      {w.type === 'approval' ? (
        <>
          an approval (<Link href="/approvals">approvals inbox</Link>)
        </>
      ) : w.type === 'event' ? (
        <>
          the event <code>{w.key}</code>
        </>
      ) : w.type === 'child' && w.childRunId ? (
        <>
          the child run{' '}
          <Link href={`/runs/${encodeURIComponent(w.childRunId)}`} className="mono">
            {w.childRunId}
          </Link>
        </>
      ) : (
        w.type
      )}
      {w.until !== undefined && <span className="muted"> until {formatTime(w.until)}</span>}
    </div>
  );
}

function AttemptsTable(props: { attempts: StepDetail['attempts'] }) {
  const items = props.attempts.some((a) => a.item >= 0);
  return (
    <table className="compact" data-testid="step-attempts">
      <thead>
        <tr>
          <th>#</th>
          {items && <th>Item</th>}
          <th>Kind</th>
          <th>Status</th>
          <th>Worker</th>
          <th>Started</th>
          <th className="num">Duration</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {props.attempts.map((a) => (
          <tr key={`${a.item}:${a.attempt}:${a.startedAt}:${a.kind}`}>
            <td className="num">{a.attempt}</td>
            {items && <td className="num">{a.item >= 0 ? a.item : ''}</td>}
            <td>{a.kind}</td>
            <td>
              <StatusBadge status={a.status} />
            </td>
            <td className="mono muted">{a.workerId}</td>
            <td title={formatTime(a.startedAt)}>{new Date(a.startedAt).toLocaleTimeString()}</td>
            <td className="num">
              {a.finishedAt === undefined ? '–' : formatDuration(a.finishedAt - a.startedAt)}
            </td>
            <td className="attempt-error">{a.error === undefined ? '' : errorText(a.error)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const e = error as { code: unknown; message?: unknown };
    return `${String(e.code)}${typeof e.message === 'string' ? `: ${e.message}` : ''}`;
  }
  return typeof error === 'string' ? error : JSON.stringify(error);
}

function ModelCallsTable(props: { calls: ModelCall[]; truncated: boolean }) {
  const [open, setOpen] = useState<string | undefined>();
  return (
    <>
      <table className="compact" data-testid="step-model-calls">
        <thead>
          <tr>
            <th>At</th>
            <th>Model</th>
            <th>Status</th>
            <th className="num">In</th>
            <th className="num">Out</th>
            <th className="num">Cached</th>
            <th className="num">Reasoning</th>
            <th className="num">Cost</th>
            <th className="num">Latency</th>
          </tr>
        </thead>
        <tbody>
          {props.calls.map((c) => (
            <Fragment key={c.id}>
              <tr className="clickable" onClick={() => setOpen(open === c.id ? undefined : c.id)}>
                <td title={formatTime(c.at)}>{new Date(c.at).toLocaleTimeString()}</td>
                <td>
                  {c.route}
                  {c.target && <span className="muted"> → {c.target}</span>}
                  {c.cacheHit && <span className="flag">cache hit</span>}
                </td>
                <td>
                  <StatusBadge status={c.status} />
                  {c.errorCode && <span className="muted"> {c.errorCode}</span>}
                </td>
                <td className="num">{formatCount(c.inputTokens)}</td>
                <td className="num">{formatCount(c.outputTokens)}</td>
                <td className="num">{formatCount(c.cachedInputTokens)}</td>
                <td className="num">{formatCount(c.reasoningTokens)}</td>
                <td className="num">{formatUsd(c.costUsd)}</td>
                <td className="num">{formatDuration(c.latencyMs)}</td>
              </tr>
              {open === c.id && (
                <tr>
                  <td colSpan={9}>
                    <ModelCallBody call={c} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      <div className="muted small">
        Click a call for its messages.{' '}
        {props.truncated && 'Only the calls among the run’s first 5,000 logged calls are shown.'}
      </div>
    </>
  );
}

/** A logged request's messages and the response, as the gateway kept them (masked, truncated). */
function ModelCallBody(props: { call: ModelCall }) {
  const { request, response } = props.call;
  const messages = messagesOf(request);
  return (
    <div className="grid grid-2">
      <div>
        <h5>Request{messages ? ` (${messages.length} messages)` : ''}</h5>
        {messages ? (
          <Messages messages={messages} />
        ) : request === undefined ? (
          <div className="muted small">Not logged.</div>
        ) : (
          <JsonView value={request} maxChars={50_000} />
        )}
      </div>
      <div>
        <h5>Response</h5>
        {response === undefined ? (
          <div className="muted small">Not logged.</div>
        ) : (
          <JsonView value={response} maxChars={50_000} />
        )}
      </div>
    </div>
  );
}

interface Message {
  role?: string;
  content?: unknown;
  tool_calls?: unknown;
  name?: string;
}

function messagesOf(request: unknown): Message[] | undefined {
  const m = (request as { messages?: unknown } | undefined)?.messages;
  return Array.isArray(m) ? (m as Message[]) : undefined;
}

function Messages(props: { messages: Message[] }) {
  return (
    <div className="messages">
      {props.messages.map((m, i) => (
        // Messages have no id; their order is their identity.
        <div key={i} className={`message message-${m.role ?? 'unknown'}`}>
          <div className="message-role">
            {m.role ?? '?'}
            {m.name ? ` (${m.name})` : ''}
          </div>
          {typeof m.content === 'string' ? (
            <pre className="message-text">{m.content}</pre>
          ) : (
            m.content !== undefined && m.content !== null && <JsonView value={m.content} maxChars={20_000} />
          )}
          {m.tool_calls !== undefined && <JsonView value={m.tool_calls} maxChars={20_000} />}
        </div>
      ))}
    </div>
  );
}

/** Model calls from spans, when the gateway's log has none for the step. */
function ModelSpans(props: { spans: Span[] }) {
  return (
    <table className="compact" data-testid="step-model-spans">
      <thead>
        <tr>
          <th>Model</th>
          <th className="num">In</th>
          <th className="num">Out</th>
          <th className="num">Cached</th>
          <th className="num">Reasoning</th>
          <th className="num">Cost</th>
          <th className="num">Duration</th>
        </tr>
      </thead>
      <tbody>
        {props.spans.map((s) => (
          <tr key={s.spanId}>
            <td>{str(s, 'gen_ai.response.model') ?? str(s, 'gen_ai.request.model') ?? s.name}</td>
            <td className="num">{formatCount(num(s, 'gen_ai.usage.input_tokens'))}</td>
            <td className="num">{formatCount(num(s, 'gen_ai.usage.output_tokens'))}</td>
            <td className="num">{formatCount(num(s, 'gen_ai.usage.cache_read.input_tokens'))}</td>
            <td className="num">{formatCount(num(s, 'gen_ai.usage.reasoning.output_tokens'))}</td>
            <td className="num">{formatUsd(num(s, 'gen_ai.usage.cost'))}</td>
            <td className="num">{formatDuration(s.endTime - s.startTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Tool calls from `execute_tool` spans: arguments and results when content capture is on. */
function ToolCalls(props: { spans: Span[] }) {
  return (
    <div className="tool-calls" data-testid="step-tool-calls">
      {props.spans.map((s) => {
        const args = s.attributes['gen_ai.tool.call.arguments'];
        const result = s.attributes['gen_ai.tool.call.result'];
        return (
          <div key={s.spanId} className="tool-call">
            <div>
              <strong className="mono">{str(s, 'gen_ai.tool.name') ?? s.name}</strong>{' '}
              <StatusBadge status={s.status.code === 'error' ? 'failed' : 'ok'} />{' '}
              <span className="muted">{formatDuration(s.endTime - s.startTime)}</span>
              {s.status.message && <span className="muted"> {s.status.message}</span>}
            </div>
            {args === undefined && result === undefined ? (
              <div className="muted small">Arguments and result not captured (content capture is off).</div>
            ) : (
              <div className="grid grid-2">
                <div>
                  <h5>Arguments</h5>
                  <JsonView value={parseMaybe(args)} maxChars={20_000} />
                </div>
                <div>
                  <h5>Result</h5>
                  <JsonView value={parseMaybe(result)} maxChars={20_000} />
                </div>
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}
