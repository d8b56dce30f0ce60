/**
 * Alerts: rules (`rules.ts`), their evaluation (`evaluate.ts`), the service that notifies
 * (`alert-service.ts`) and where their state lives (`state-port.ts` and its adapters).
 * @module
 */
export {
  type AlertContext,
  type AlertService,
  type AlertServiceOptions,
  startAlertService,
} from './alert-service.js';
export { AlertEvaluator, type AlertSources, type EvaluatorOptions, type Observation } from './evaluate.js';
export { type AlertNotification, alertNotification, postToWebhooks } from './notify.js';
export { openPostgresAlertState, type PostgresAlertStateOptions } from './postgres-alert-state.js';
export {
  type AlertRule,
  type AlertRuleKind,
  type AlertsConfig,
  type AlertsConfigInput,
  alertRuleSchema,
  alertsConfigSchema,
  DEFAULT_ALERT_RULES,
  loadAlertsConfig,
  parseAlertsConfig,
} from './rules.js';
export { openSqliteAlertState } from './sqlite-alert-state.js';
export type { AlertEvent, AlertState, AlertStateStore, AlertStatus, AlertTransition } from './state-port.js';

import { join } from 'node:path';
import { openPostgresAlertState } from './postgres-alert-state.js';
import { openSqliteAlertState } from './sqlite-alert-state.js';
import type { AlertStateStore } from './state-port.js';

/** Opens the alert state beside the engine's store: its SQLite file in `dataDir`, or its Postgres database. */
export async function openAlertState(
  where: { dataDir: string } | { databaseUrl: string; databaseSchema?: string },
): Promise<AlertStateStore> {
  if ('dataDir' in where) return openSqliteAlertState({ path: join(where.dataDir, 'baton.db') });
  return openPostgresAlertState({
    connectionString: where.databaseUrl,
    ...(where.databaseSchema === undefined ? {} : { schema: where.databaseSchema }),
  });
}
