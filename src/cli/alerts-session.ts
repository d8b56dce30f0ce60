/**
 * Alerts for `baton server` and `baton dev`: the rules of the config's `alerts` (a file path or the
 * config itself) and their state beside the engine's store. `baton dev` runs the default rules when
 * `alerts` is not set; `baton server` only when it is; `alerts: false` turns them off in both.
 * @module
 */
import { resolve } from 'node:path';
import type { AlertServiceOptions } from '../telemetry/alerts/alert-service.js';
import {
  type AlertStateStore,
  type AlertsConfig,
  loadAlertsConfig,
  openAlertState,
  parseAlertsConfig,
} from '../telemetry/alerts/index.js';
import type { LoadedConfig } from './config.js';
import { type GlobalOptions, resolveDatabaseUrl, resolveDataDir } from './engine.js';

/** The alert service's options and the state it owns, or undefined when alerts are off. */
export async function openAlerts(
  globals: GlobalOptions,
  loaded: LoadedConfig,
  dev: boolean,
): Promise<{ options: AlertServiceOptions; state: AlertStateStore } | undefined> {
  const setting = loaded.config.alerts;
  if (setting === false || (setting === undefined && !dev)) return undefined;
  const config: AlertsConfig =
    typeof setting === 'string'
      ? await loadAlertsConfig(resolve(loaded.baseDir, setting))
      : parseAlertsConfig(setting ?? {}, 'the `alerts` of the config');
  const databaseUrl = resolveDatabaseUrl(globals, loaded);
  const schema = loaded.config.databaseSchema;
  const state = await openAlertState(
    databaseUrl === undefined
      ? { dataDir: resolveDataDir(globals, loaded) }
      : { databaseUrl, ...(schema === undefined ? {} : { databaseSchema: schema }) },
  );
  return {
    state,
    options: {
      rules: config.rules,
      state,
      webhooks: config.webhooks,
      ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    },
  };
}
