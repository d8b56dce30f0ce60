/** The run's trace as a tree: each span with its duration as a bar on the trace's time axis. */
import { Fragment, useMemo, useState } from 'react';
import { formatCount, formatDuration, formatUsd } from '../../components/format';
import { JsonView } from '../../components/ui';
import type { Span } from '../runs/run-types';
import { isModelCall, num, operationOf, parseMaybe, type SpanNode, spanForest, str } from './spans';

/** Spans with more children than this start collapsed (a `map` step's items, an agent's turns). */
const COLLAPSE_OVER = 25;

/**
 * The span tree of `spans`. Clicking a span shows its attributes; a span with many children starts
 * collapsed. `empty` is shown when there are no spans.
 */
export function SpanTree(props: { spans: Span[]; empty: React.ReactNode; testId?: string }) {
  const forest = useMemo(() => spanForest(props.spans), [props.spans]);
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const [open, setOpen] = useState<string | undefined>();
  if (props.spans.length === 0) {
    return (
      <div className="muted empty" data-testid={props.testId}>
        {props.empty}
      </div>
    );
  }
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of props.spans) {
    start = Math.min(start, s.startTime);
    end = Math.max(end, s.endTime);
  }
  const total = Math.max(1, end - start);
  const collapsed = (n: SpanNode) =>
    n.children.length > COLLAPSE_OVER !== toggled.has(n.span.spanId) && n.children.length > 0;
  const rows: SpanNode[] = [];
  const walk = (nodes: SpanNode[]) => {
    for (const n of nodes) {
      rows.push(n);
      if (!collapsed(n)) walk(n.children);
    }
  };
  walk(forest);
  const toggle = (id: string) =>
    setToggled((t) => {
      const next = new Set(t);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="span-tree" data-testid={props.testId}>
      <table>
        <thead>
          <tr>
            <th>Span</th>
            <th className="num">Duration</th>
            <th className="num">Tokens</th>
            <th className="num">Cost</th>
            <th className="span-axis-head">
              <span className="muted">0</span>
              <span className="muted">{formatDuration(total)}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((n) => {
            const s = n.span;
            const model = isModelCall(s) || operationOf(s) === 'invoke_agent';
            const isOpen = open === s.spanId;
            const error = s.status.code === 'error';
            return (
              <Fragment key={s.spanId}>
                <tr
                  className={`clickable${error ? ' span-error' : ''}`}
                  data-testid="span-row"
                  onClick={() => setOpen(isOpen ? undefined : s.spanId)}
                >
                  <td style={{ paddingLeft: 8 + n.depth * 16 }} className="span-name">
                    {n.children.length > 0 ? (
                      <button
                        type="button"
                        className="link twisty"
                        aria-label={collapsed(n) ? 'Expand' : 'Collapse'}
                        onClick={(e) => {
                          e.stopPropagation();
                          toggle(s.spanId);
                        }}
                      >
                        {collapsed(n) ? '▸' : '▾'}
                      </button>
                    ) : (
                      <span className="twisty" />
                    )}
                    <span className={model ? 'span-genai' : undefined}>{s.name}</span>
                    {collapsed(n) && <span className="muted"> ({n.children.length} children)</span>}
                    {error && <span className="badge status-failed">error</span>}
                  </td>
                  <td className="num">{formatDuration(s.endTime - s.startTime)}</td>
                  <td className="num">
                    {model && num(s, 'gen_ai.usage.input_tokens') + num(s, 'gen_ai.usage.output_tokens') > 0
                      ? formatCount(
                          num(s, 'gen_ai.usage.input_tokens') + num(s, 'gen_ai.usage.output_tokens'),
                        )
                      : ''}
                  </td>
                  <td className="num">
                    {s.attributes['gen_ai.usage.cost'] !== undefined
                      ? formatUsd(num(s, 'gen_ai.usage.cost'))
                      : ''}
                  </td>
                  <td className="span-axis">
                    <div
                      className={`span-bar${error ? ' span-bar-error' : model ? ' span-bar-genai' : ''}`}
                      style={{
                        left: `${((s.startTime - start) / total) * 100}%`,
                        width: `${Math.max(0.4, ((s.endTime - s.startTime) / total) * 100)}%`,
                      }}
                    />
                  </td>
                </tr>
                {isOpen && (
                  <tr className="span-detail">
                    <td colSpan={5}>
                      <SpanAttributes span={s} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A span's status and attributes, the GenAI ones first. */
function SpanAttributes(props: { span: Span }) {
  const s = props.span;
  const entries = Object.entries(s.attributes).sort(([a], [b]) => {
    const rank = (k: string) => (k.startsWith('gen_ai.') ? 0 : k.startsWith('baton.') ? 1 : 2);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const model = str(s, 'gen_ai.request.model');
  return (
    <div className="span-attrs">
      <div className="muted small">
        {s.kind} span {s.spanId} · status {s.status.code}
        {s.status.message && `: ${s.status.message}`}
        {model && ` · model ${model}`}
      </div>
      <table>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <td className="mono attr-key">{k}</td>
              <td className="mono">
                {typeof v === 'string' && v.length < 200 && !/^[[{]/.test(v) ? (
                  v
                ) : (
                  <JsonView value={parseMaybe(v)} maxChars={20_000} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
