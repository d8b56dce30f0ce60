/**
 * Opening the gateway for a CLI command: the config's `gateway` section, and its ledger next to the
 * engine's store (`<dataDir>/gateway.db`, or the Postgres database when one is configured).
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway } from '../gateway/gateway.js';
import type { GatewayLedger } from '../gateway/ledger/index.js';
import { openPostgresLedger, openSqliteLedger } from '../gateway/ledger/index.js';
import type { CassetteSettings } from '../gateway/providers/registry.js';
import type { Tracing } from '../telemetry/tracing/tracing.js';
import { loadConfig } from './config.js';
import { type GlobalOptions, redactUrl, resolveDatabaseUrl, resolveDataDir } from './engine.js';

/** An open ledger and where it lives. */
export interface LedgerSession {
  ledger: GatewayLedger;
  /** The SQLite file or the redacted Postgres URL. */
  label: string;
  gatewayConfig: unknown;
}

/** Opens the gateway's ledger as the global options and config say. */
export async function openLedger(globals: GlobalOptions): Promise<LedgerSession> {
  const loaded = await loadConfig(globals.config);
  const databaseUrl = resolveDatabaseUrl(globals, loaded);
  if (databaseUrl !== undefined) {
    const schema = loaded.config.databaseSchema;
    const ledger = await openPostgresLedger({ connectionString: databaseUrl, ...(schema ? { schema } : {}) });
    return { ledger, label: redactUrl(databaseUrl), gatewayConfig: loaded.config.gateway };
  }
  const dataDir = resolveDataDir(globals, loaded);
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'gateway.db');
  return { ledger: await openSqliteLedger({ path }), label: path, gatewayConfig: loaded.config.gateway };
}

/** Opens the ledger and the gateway over it. */
export async function openGateway(
  globals: GlobalOptions,
  cassettes?: CassetteSettings,
  tracing?: Tracing,
): Promise<LedgerSession & { gateway: Gateway }> {
  const session = await openLedger(globals);
  try {
    const gateway = Gateway.open({
      config: session.gatewayConfig,
      ledger: session.ledger,
      ...(cassettes ? { cassettes } : {}),
      ...(tracing ? { tracing } : {}),
    });
    return { ...session, gateway };
  } catch (err) {
    await session.ledger.close();
    throw err;
  }
}
