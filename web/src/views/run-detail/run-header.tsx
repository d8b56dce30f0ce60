import { Link } from 'wouter';
import { formatAgo, formatCount, formatDuration, formatTime, formatUsd } from '../../components/format';
import { StatusBadge } from '../../components/ui';
import type { RunWithSteps, Span } from '../runs/run-types';
import { versionLabel } from '../runs/runs-view';
import { type ModelUsage, modelUsageOf } from './spans';
import type { StreamState } from './use-live-run';

/**
 * The run's header card. Cost is the gateway ledger's (`costUsd` of the run); tokens
 * are summed from the run's model-call spans, which exist only when tracing is on.
 */
export function RunHeader(props: { run: RunWithSteps; spans: Span[] | undefined; stream: StreamState }) {
  const { run } = props;
  const now = Date.now();
  const usage = props.spans ? modelUsageOf(props.spans) : undefined;
  // The ledger's cost; undefined when the server has no gateway.
  const ledgerCost = run.costUsd;
  const cost = ledgerCost ?? usage?.costUsd;
  const end = run.finishedAt ?? (run.startedAt === undefined ? undefined : now);
  return (
    <div className="card run-header" data-testid="run-header">
      <div className="run-header-top">
        <div>
          <div className="mono run-id" data-testid="run-id">
            {run.id}
          </div>
          <div className="run-title">
            <Link href={`/workflows/${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link>{' '}
            <Link
              href={`/workflows/${encodeURIComponent(run.workflow)}?version=${encodeURIComponent(run.versionId)}`}
              className="muted mono"
            >
              {versionLabel(run)}
            </Link>{' '}
            <span data-testid="run-status">
              <StatusBadge status={run.status} />
            </span>
            {run.phase !== 'done' && run.phase !== 'steps' && <span className="muted"> ({run.phase})</span>}
          </div>
        </div>
        <LiveBadge stream={props.stream} />
      </div>
      <dl className="facts">
        <Fact label="Origin">
          <Origin run={run} />
        </Fact>
        <Fact label="Queued">
          <span title={formatTime(run.createdAt)}>{formatAgo(run.createdAt, now)}</span>
        </Fact>
        <Fact label="Started">
          {run.startedAt === undefined ? (
            '–'
          ) : (
            <span title={formatTime(run.startedAt)}>
              {formatTime(run.startedAt)}
              {run.startedAt > run.createdAt && (
                <span className="muted"> (+{formatDuration(run.startedAt - run.createdAt)} queued)</span>
              )}
            </span>
          )}
        </Fact>
        <Fact label="Ended">
          {run.finishedAt === undefined ? (
            '–'
          ) : (
            <span title={formatTime(run.finishedAt)}>{formatTime(run.finishedAt)}</span>
          )}
        </Fact>
        <Fact label="Duration">
          <span className="num">
            {end === undefined || run.startedAt === undefined ? '–' : formatDuration(end - run.startedAt)}
            {run.finishedAt === undefined && run.startedAt !== undefined && (
              <span className="muted"> so far</span>
            )}
          </span>
        </Fact>
        <Fact label="Tokens">
          {usage?.calls === 0 && (ledgerCost ?? 0) > 0 ? (
            <span
              className="muted"
              title="The run's model calls have no spans (tracing is off): each step's inspector lists its calls"
            >
              not traced
            </span>
          ) : (
            <Tokens usage={usage} />
          )}
        </Fact>
        <Fact label="Cost">
          <span
            className="num"
            data-testid="run-cost"
            title={
              ledgerCost === undefined
                ? "What the run's model calls cost, from their spans"
                : "What the run's model calls cost, from the gateway's ledger"
            }
          >
            {cost === undefined ? '–' : formatUsd(cost)}
          </span>
        </Fact>
        {run.tags.length > 0 && (
          <Fact label="Tags">
            {run.tags.map((t) => (
              <span className="tag" key={t}>
                {t}
              </span>
            ))}
          </Fact>
        )}
      </dl>
      {run.error && (
        <div className="error" data-testid="run-error">
          <strong>{run.error.code}</strong> {run.error.message}
        </div>
      )}
    </div>
  );
}

function Fact(props: { label: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** Input, output and cached/reasoning tokens. */
export function Tokens(props: { usage: ModelUsage | undefined }) {
  const u = props.usage;
  if (!u) return <span>–</span>;
  if (u.calls === 0) return <span className="muted">no model calls</span>;
  return (
    <span className="num" title={`${u.calls} model call${u.calls === 1 ? '' : 's'}`}>
      {formatCount(u.inputTokens)} in · {formatCount(u.outputTokens)} out
      {(u.cachedInputTokens > 0 || u.reasoningTokens > 0) && (
        <span className="muted">
          {' '}
          ({formatCount(u.cachedInputTokens)} cached, {formatCount(u.reasoningTokens)} reasoning)
        </span>
      )}
    </span>
  );
}

/** Where the run came from: a parent run, a trigger, a rerun, a fork, or a plain submit. */
function Origin(props: { run: RunWithSteps }) {
  const { run } = props;
  const tag = (prefix: string) => run.tags.find((t) => t.startsWith(prefix))?.slice(prefix.length);
  const runLink = (id: string) => (
    <Link href={`/runs/${encodeURIComponent(id)}`} className="mono">
      {id}
    </Link>
  );
  if (run.parentRunId) {
    return (
      <span>
        child of {runLink(run.parentRunId)}
        {run.parentStepId && <span className="muted"> (step {run.parentStepId})</span>}
      </span>
    );
  }
  // An agent's delegation is a run of its own, tagged with the run that delegated.
  const delegatedBy = tag('parent-run:');
  if (delegatedBy) return <span>delegated by {runLink(delegatedBy)}</span>;
  const rerun = tag('rerun-of:');
  if (rerun) return <span>rerun of {runLink(rerun)}</span>;
  const fork = tag('forked-from:');
  if (fork) {
    const [from, step] = fork.split('@');
    return (
      <span>
        fork of {runLink(from ?? fork)}
        {step && <span className="muted"> from step {step}</span>}
      </span>
    );
  }
  if (run.idempotencyKey?.startsWith('trigger:')) {
    return <span>trigger {run.idempotencyKey.split(':')[1]}</span>;
  }
  return (
    <span>
      submitted{run.idempotencyKey && <span className="muted"> (idempotency key {run.idempotencyKey})</span>}
    </span>
  );
}

function LiveBadge(props: { stream: StreamState }) {
  const label: Record<StreamState, string> = {
    loading: 'loading…',
    live: '● live',
    reconnecting: 'reconnecting…',
    ended: 'final',
  };
  return (
    <span className={`live-badge live-${props.stream}`} data-testid="run-stream" data-stream={props.stream}>
      {label[props.stream]}
    </span>
  );
}
