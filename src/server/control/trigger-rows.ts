/**
 * What both control-store adapters share for triggers: argument checks, ids and row mapping. No I/O.
 * @module
 */
import {
  epochMs,
  invalid,
  type NewTrigger,
  newControlId,
  nonEmpty,
  optionalNumber,
  type TriggerPatch,
  toJson,
} from './control-rows.js';
import type { Trigger } from './port.js';

const TRIGGER_TYPES: readonly Trigger['type'][] = ['cron', 'event'];

/** The trigger table's columns, in the order of {@link newTriggerRow}'s values. */
export const TRIGGER_COLUMNS =
  'id, tenant, workflow, type, schedule, timezone, event_type, input, enabled, created_at, next_fire_at, last_fired_at';

function checkEnabled(enabled: unknown): boolean {
  if (typeof enabled !== 'boolean') {
    throw invalid(`enabled must be a boolean, got ${String(enabled)}`, 'Pass true or false');
  }
  return enabled;
}

function checkTimezone(timezone: unknown): string {
  const zone = nonEmpty(timezone, 'timezone');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw invalid(`timezone: unknown time zone ${zone}`, 'Pass an IANA time zone like Europe/Paris, or UTC');
  }
  return zone;
}

/** The fields of the other type must be absent: a cron trigger has no eventType, and the reverse. */
function mustBeAbsent(input: Record<string, unknown>, fields: string[], type: string): void {
  for (const field of fields) {
    if (input[field] !== undefined) {
      throw invalid(`${field} is not a field of ${type} triggers`, `Leave ${field} out of a ${type} trigger`);
    }
  }
}

/**
 * Checks a new trigger and gives it its id; `values` are in {@link TRIGGER_COLUMNS} order. A cron
 * trigger's timezone defaults to UTC.
 */
export function newTriggerRow(input: NewTrigger, createdAt: number): { trigger: Trigger; values: unknown[] } {
  const tenant = nonEmpty(input?.tenant, 'tenant');
  const workflow = nonEmpty(input.workflow, 'workflow');
  if (!TRIGGER_TYPES.includes(input.type)) {
    throw invalid(`type: unknown trigger type ${JSON.stringify(input.type)}`, 'Use cron or event');
  }
  const fields = input as unknown as Record<string, unknown>;
  let typed: Pick<Trigger, 'schedule' | 'timezone' | 'eventType'>;
  if (input.type === 'cron') {
    mustBeAbsent(fields, ['eventType'], 'cron');
    const schedule = nonEmpty(input.schedule, 'schedule').trim();
    const parts = schedule.split(/\s+/).length;
    if (parts < 5 || parts > 6) {
      throw invalid(
        `schedule must have 5 or 6 fields, got ${parts}: ${schedule}`,
        'Write it like "0 9 * * 1-5"',
      );
    }
    typed = { schedule, timezone: input.timezone === undefined ? 'UTC' : checkTimezone(input.timezone) };
  } else {
    mustBeAbsent(fields, ['schedule', 'timezone', 'nextFireAt'], 'event');
    typed = { eventType: nonEmpty(input.eventType, 'eventType') };
  }
  const enabled = checkEnabled(input.enabled);
  const nextFireAt = input.nextFireAt === undefined ? undefined : epochMs(input.nextFireAt, 'nextFireAt');
  const inputJson = toJson(input.input, 'input');
  const trigger: Trigger = {
    id: newControlId('trg', createdAt),
    tenant,
    workflow,
    type: input.type,
    ...typed,
    input: JSON.parse(inputJson),
    enabled,
    createdAt,
    ...(nextFireAt === undefined ? {} : { nextFireAt }),
  };
  return {
    trigger,
    values: [
      trigger.id,
      tenant,
      workflow,
      trigger.type,
      typed.schedule ?? null,
      typed.timezone ?? null,
      typed.eventType ?? null,
      inputJson,
      enabled,
      createdAt,
      nextFireAt ?? null,
      null,
    ],
  };
}

/** A trigger row, as either database returns it (SQLite answers booleans as 0 and 1). */
export interface TriggerRow {
  id: string;
  tenant: string;
  workflow: string;
  type: Trigger['type'];
  schedule: string | null;
  timezone: string | null;
  event_type: string | null;
  input: string;
  enabled: boolean | number;
  created_at: number | string;
  next_fire_at: number | string | null;
  last_fired_at: number | string | null;
}

/** A trigger row as the port's {@link Trigger}. */
export function toTrigger(row: TriggerRow): Trigger {
  const nextFireAt = optionalNumber(row.next_fire_at);
  const lastFiredAt = optionalNumber(row.last_fired_at);
  return {
    id: row.id,
    tenant: row.tenant,
    workflow: row.workflow,
    type: row.type,
    ...(row.schedule === null ? {} : { schedule: row.schedule }),
    ...(row.timezone === null ? {} : { timezone: row.timezone }),
    ...(row.event_type === null ? {} : { eventType: row.event_type }),
    input: JSON.parse(row.input),
    enabled: Boolean(row.enabled),
    createdAt: Number(row.created_at),
    ...(nextFireAt === undefined ? {} : { nextFireAt }),
    ...(lastFiredAt === undefined ? {} : { lastFiredAt }),
  };
}

/** Checks a `listTriggers` filter: null for a field not filtered on. */
export function checkTriggerFilter(filter: { tenant?: string; type?: Trigger['type'] } | undefined): {
  tenant: string | null;
  type: Trigger['type'] | null;
} {
  const type = filter?.type;
  if (type !== undefined && !TRIGGER_TYPES.includes(type)) {
    throw invalid(`type: unknown trigger type ${JSON.stringify(type)}`, 'Use cron or event');
  }
  return {
    tenant: filter?.tenant === undefined ? null : nonEmpty(filter.tenant, 'tenant'),
    type: type ?? null,
  };
}

/** A checked trigger patch: null for a field left as it is. */
export function checkTriggerPatch(patch: TriggerPatch): {
  enabled: boolean | null;
  input: string | null;
} {
  if (typeof patch !== 'object' || patch === null) {
    throw invalid('patch must be an object', 'Pass { enabled } and/or { input }');
  }
  return {
    enabled: patch.enabled === undefined ? null : checkEnabled(patch.enabled),
    input: 'input' in patch ? toJson(patch.input, 'input') : null,
  };
}

/** What `next` gave for a claimed trigger: epoch milliseconds, or null for "never again". */
export function checkNextFire(value: number | undefined, trigger: Trigger): number | null {
  if (value === undefined) return null;
  return epochMs(value, `the next fire time of trigger ${trigger.id}`);
}
