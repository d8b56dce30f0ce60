/**
 * From history events to webhook events. The mapping:
 *
 * | history event                   | webhook event(s)                          |
 * | ------------------------------- | ----------------------------------------- |
 * | `run-succeeded`                 | `run.succeeded`                           |
 * | `run-failed`                    | `run.failed` (`run.status: 'failed'`)     |
 * | `run-cancelled`                 | `run.failed` (`run.status: 'cancelled'`)  |
 * | `step-waiting` (sleep or event) | `run.waiting`                             |
 * | `step-waiting` (approval)       | `run.waiting` and `approval.requested`    |
 * | `approval-decided`              | `approval.decided`                        |
 *
 * A cancelled run is reported as `run.failed` because it ended without its output: a subscriber that
 * reacts to "the run did not succeed" must hear about it; `data.run.status` tells the two apart.
 * `run.waiting` is sent each time a step of the run begins to wait, so a run with two parallel waits
 * sends two; `data.wait` says what it waits for. Child runs are not waits here: they send their own
 * events.
 * @module
 */
import type { ErrorInfo } from '../../../core/errors.js';
import type { ApprovalRequest, HistoryEventType, Run, RunStatus } from '../../../core/types.js';
import type { FeedEvent } from '../../../store/port.js';
import type { WebhookEvent } from '../../control/port.js';

/** The history event types the webhook dispatcher reads from the feed. */
export const WEBHOOK_SOURCE_TYPES: HistoryEventType[] = [
  'run-succeeded',
  'run-failed',
  'run-cancelled',
  'step-waiting',
  'approval-decided',
];

/** The run, as a webhook payload describes it. */
export interface WebhookRun {
  id: string;
  workflow: string;
  /** Absent when the run was pruned before the event was read. */
  versionId?: string;
  /** The status the event implies (`waiting` for `run.waiting` and `approval.requested`). */
  status: RunStatus;
  tags?: string[];
  createdAt?: string;
  finishedAt?: string;
  /** `run.succeeded` only. */
  output?: unknown;
  /** `run.failed` only: why it failed or was cancelled. */
  error?: ErrorInfo;
}

/** The JSON body of a webhook request. */
export interface WebhookPayload {
  /** The event's id, the same for every subscription: `<run id>:<history seq>:<event>`. */
  id: string;
  type: WebhookEvent;
  /** When the event happened (ISO 8601). */
  createdAt: string;
  tenant: string;
  data: {
    run: WebhookRun;
    /** The step concerned (`run.waiting`, `approval.*`). */
    step?: { id: string };
    /** What the step waits for (`run.waiting`): `sleep` until a time, an `event` key, an `approval`. */
    wait?: { for: 'sleep' | 'event' | 'approval'; until?: string; key?: string };
    /** `approval.requested`: the request as the decider sees it. */
    approval?: ApprovalRequest;
    /** `approval.decided`: who decided what, when, with which comment and data. */
    decision?: {
      approved: boolean;
      by: string;
      at: string;
      comment: string | null;
      data: unknown;
      edited: boolean;
    };
  };
}

/** One webhook event derived from a history event, with the key that makes it unique. */
export interface DerivedWebhookEvent {
  event: WebhookEvent;
  eventKey: string;
  tenant: string;
  /** Epoch ms of the history event: subscriptions created later do not receive it. */
  at: number;
  payload: WebhookPayload;
}

/**
 * The webhook events a history event gives rise to (none for most types). `run` is the run as stored
 * when the event is read, for its version, tags, output and error; undefined when it was pruned.
 */
export function toWebhookEvents(event: FeedEvent, run: Run | undefined): DerivedWebhookEvent[] {
  const data = asRecord(event.data);
  switch (event.type) {
    case 'run-succeeded':
      return [derive(event, 'run.succeeded', summary(event, run, 'succeeded'), {})];
    case 'run-failed':
    case 'run-cancelled': {
      const status = event.type === 'run-failed' ? 'failed' : 'cancelled';
      return [derive(event, 'run.failed', summary(event, run, status), {})];
    }
    case 'step-waiting': {
      const waitFor = data.for;
      if (waitFor !== 'sleep' && waitFor !== 'event' && waitFor !== 'approval') return [];
      const step = { id: event.stepId ?? '' };
      const wait: NonNullable<WebhookPayload['data']['wait']> = {
        for: waitFor,
        ...(typeof data.until === 'number' ? { until: new Date(data.until).toISOString() } : {}),
        ...(typeof data.key === 'string' ? { key: data.key } : {}),
      };
      const waiting = summary(event, run, 'waiting');
      const out = [derive(event, 'run.waiting', waiting, { step, wait })];
      if (waitFor === 'approval') {
        const approval = data.request as ApprovalRequest | undefined;
        out.push(derive(event, 'approval.requested', waiting, { step, ...(approval ? { approval } : {}) }));
      }
      return out;
    }
    case 'approval-decided': {
      const decision = {
        approved: data.approved === true,
        by: typeof data.by === 'string' ? data.by : 'unknown',
        at: typeof data.at === 'string' ? data.at : new Date(event.at).toISOString(),
        comment: typeof data.comment === 'string' ? data.comment : null,
        data: data.data ?? null,
        edited: data.edited === true,
      };
      const status = run?.status ?? 'running';
      return [
        derive(event, 'approval.decided', summary(event, run, status), {
          step: { id: event.stepId ?? '' },
          decision,
        }),
      ];
    }
    default:
      return [];
  }
}

function derive(
  event: FeedEvent,
  type: WebhookEvent,
  run: WebhookRun,
  extra: Omit<WebhookPayload['data'], 'run'>,
): DerivedWebhookEvent {
  // The type is part of the key: one history event (an approval starting to wait) can send two events.
  const eventKey = `${event.runId}:${event.seq}:${type}`;
  return {
    event: type,
    eventKey,
    tenant: event.tenant,
    at: event.at,
    payload: {
      id: eventKey,
      type,
      createdAt: new Date(event.at).toISOString(),
      tenant: event.tenant,
      data: { run, ...extra },
    },
  };
}

function summary(event: FeedEvent, run: Run | undefined, status: RunStatus): WebhookRun {
  const out: WebhookRun = { id: event.runId, workflow: event.workflow, status };
  if (!run) return out;
  out.versionId = run.versionId;
  out.tags = run.tags;
  out.createdAt = new Date(run.createdAt).toISOString();
  if (
    run.finishedAt !== undefined &&
    (status === 'succeeded' || status === 'failed' || status === 'cancelled')
  ) {
    out.finishedAt = new Date(run.finishedAt).toISOString();
  }
  if (status === 'succeeded' && run.output !== undefined) out.output = run.output;
  if ((status === 'failed' || status === 'cancelled') && run.error) out.error = run.error;
  return out;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
