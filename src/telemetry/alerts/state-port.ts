/**
 * The `AlertStateStore` port: where the alert service keeps each alert's state and its history, so that
 * several servers evaluating the same rules notify once. A state changes only by a compare-and-set
 * ({@link AlertStateStore.transition}): the server whose transition wins sends the notification.
 *
 * Glossary:
 * - **Alert key**: one rule applied to one subject of one tenant (`model-error-rate|acme|fast`).
 * - **Subject**: what a rule watches: a workflow, or a model alias for the error-rate rule.
 * - **Firing / resolved**: the condition holds / held and has cleared.
 *
 * Adapters: `sqlite-alert-state.ts` and `postgres-alert-state.ts`, both tested by `state-conformance.ts`.
 * Tables are prefixed `telemetry_alert`, migrations tracked in `telemetry_alert_migrations`.
 * @module
 */
import { BatonError } from '../../core/errors.js';

/** Whether an alert's condition holds. */
export type AlertStatus = 'firing' | 'resolved';

/** An alert's current state. */
export interface AlertState {
  key: string;
  ruleId: string;
  tenant: string;
  /** The workflow (or model alias) the alert is about. */
  subject: string;
  status: AlertStatus;
  /** When the alert entered this status (ms since the epoch). */
  since: number;
  /** The measured value when it entered this status. */
  value: number;
  threshold: number;
  /** Run ids that show the condition (at most a few). */
  exampleRuns: string[];
}

/** A change of status, as the history keeps it. */
export interface AlertEvent extends AlertState {
  /** Increasing with each event. */
  seq: number;
}

/** A compare-and-set: move `to.key` to `to` if its status is still `from` (`undefined`: no state yet). */
export interface AlertTransition {
  from: AlertStatus | undefined;
  to: AlertState;
}

/** Where alert states and their history live. */
export interface AlertStateStore {
  /** Current states, by key. */
  listStates(filter?: { tenant?: string }): Promise<AlertState[]>;
  /**
   * Applies the transition and appends it to the history, in one transaction, only when the stored
   * status is still `from`; true when this call made the change (its caller notifies), false otherwise.
   */
  transition(change: AlertTransition): Promise<boolean>;
  /** The history, newest first. @defaultValue limit 50 */
  listEvents(filter?: { tenant?: string; limit?: number }): Promise<AlertEvent[]>;
  /** Releases connections. Safe twice. */
  close(): Promise<void>;
}

/** A stored row of either table, as both adapters read it. */
export interface AlertRow {
  key: string;
  rule_id: string;
  tenant: string;
  subject: string;
  status: string;
  since: number | string;
  value: number;
  threshold: number;
  example_runs: string;
  seq?: number | string;
}

/** The state of a row. */
export function toAlertState(row: AlertRow): AlertState {
  return {
    key: row.key,
    ruleId: row.rule_id,
    tenant: row.tenant,
    subject: row.subject,
    status: row.status as AlertStatus,
    since: Number(row.since),
    value: Number(row.value),
    threshold: Number(row.threshold),
    exampleRuns: JSON.parse(row.example_runs) as string[],
  };
}

/** The history event of a row of `telemetry_alert_events`. */
export function toAlertEvent(row: AlertRow): AlertEvent {
  return { ...toAlertState(row), seq: Number(row.seq) };
}

/** The error of any call on a closed alert state. */
export function alertStateClosed(): BatonError {
  return new BatonError('STORE_UNAVAILABLE', 'the alert state is closed', {
    hint: 'Open it again; the alert service must stop before its state closes',
  });
}

/** The columns both tables share, in {@link alertValues} order. */
export const ALERT_COLUMNS = 'key, rule_id, tenant, subject, status, since, value, threshold, example_runs';

/** A state's values in {@link ALERT_COLUMNS} order. */
export function alertValues(s: AlertState): (string | number)[] {
  return [
    s.key,
    s.ruleId,
    s.tenant,
    s.subject,
    s.status,
    s.since,
    s.value,
    s.threshold,
    JSON.stringify(s.exampleRuns),
  ];
}

/** The history page size, checked. */
export function eventLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? 50), 1), 1000);
}
