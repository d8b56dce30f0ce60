/**
 * Opens the engine for a command: config, data directory, durability, functions, and registration of
 * the config's workflows. Every command that touches the store goes through {@link withEngine}.
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { BatonError } from '../core/errors.js';
import type { WorkflowVersion } from '../core/types.js';
import type { Gateway } from '../gateway/gateway.js';
import { Baton } from '../runtime/baton.js';
import type { SpanStore } from '../telemetry/spans/port.js';
import type { Tracing } from '../telemetry/tracing/tracing.js';
import type { CliTelemetry } from '../telemetry/tracing-env.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { type LoadedConfig, loadConfig } from './config.js';
import type { Output } from './format.js';

/** Options every command accepts. */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  json?: boolean;
}

/** What a command receives: the open engine, its config and the output. */
export interface EngineSession {
  baton: Baton;
  loaded: LoadedConfig;
  out: Output;
  /** The versions the config's workflows registered as, in config order. */
  registered: WorkflowVersion[];
  /** The store's directory (SQLite). */
  dataDir: string;
  /** Where the store is, for people: the SQLite directory, or the Postgres host and database. */
  storeLabel: string;
  /** The gateway the config's agents use, when the config has agents (see `agents-session.ts`). */
  gateway?: Gateway;
  /** The config's tools, when it has agents or tools (their breakers are in `/metrics`). */
  tools?: ToolRegistry;
  /** The tracing, for commands opened with `telemetry` (give it to a gateway they open). */
  tracing?: Tracing;
  /** Where the tracing writes spans (the API reads them back). */
  spans?: SpanStore;
}

/** Where the store lives: `--data-dir`, then `BATON_DATA_DIR`, then the config's `dataDir`, then `./.baton`. */
export function resolveDataDir(globals: GlobalOptions, loaded: LoadedConfig, env = process.env): string {
  if (globals.dataDir) return resolve(globals.dataDir);
  if (env.BATON_DATA_DIR) return resolve(env.BATON_DATA_DIR);
  if (loaded.config.dataDir) return resolve(loaded.baseDir, loaded.config.dataDir);
  return resolve('.baton');
}

/** Postgres, when chosen: `--database-url`, then `BATON_DATABASE_URL`, then the config's `databaseUrl`. */
export function resolveDatabaseUrl(
  globals: GlobalOptions,
  loaded: LoadedConfig,
  env = process.env,
): string | undefined {
  const url = globals.databaseUrl || env.BATON_DATABASE_URL || loaded.config.databaseUrl;
  if (url && !/^postgres(ql)?:\/\//.test(url)) {
    throw new BatonError('CONFIG_INVALID', `the database URL must start with postgres:// or postgresql://`, {
      hint: 'Unset BATON_DATABASE_URL to use the embedded SQLite store',
    });
  }
  return url || undefined;
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

function resolveDurability(loaded: LoadedConfig, env = process.env): 'full' | 'normal' {
  const value = env.BATON_DURABILITY;
  if (value === undefined || value === '') return loaded.config.durability ?? 'full';
  if (value !== 'full' && value !== 'normal') {
    throw new BatonError('CONFIG_INVALID', `BATON_DURABILITY must be "full" or "normal", got "${value}"`);
  }
  return value;
}

/**
 * Opens the engine, registers the config's workflows, runs `body`, and closes the engine (stopping
 * its workers) whatever happens.
 */
export async function withEngine<T>(
  globals: GlobalOptions,
  out: Output,
  body: (session: EngineSession) => Promise<T>,
  options: { telemetry?: boolean } = {},
): Promise<T> {
  const loaded = await loadConfig(globals.config);
  const durability = resolveDurability(loaded);
  const dataDir = resolveDataDir(globals, loaded);
  const databaseUrl = resolveDatabaseUrl(globals, loaded);
  const { databaseSchema, tenantConcurrency } = loaded.config;
  // Spans in the engine's database, OTLP export when configured, JSON logs: for long-running commands.
  let telemetry: CliTelemetry | undefined;
  if (options.telemetry) {
    const { openCliTelemetry } = await import('../telemetry/tracing-env.js');
    const { DEFAULT_RETENTION } = await import('./commands/runs.js');
    const retentionMs = parseDuration(loaded.config.retention ?? DEFAULT_RETENTION);
    telemetry = await openCliTelemetry({ dataDir, databaseUrl, databaseSchema, retentionMs });
  }
  const baton = await Baton.open({
    ...(telemetry ? { tracing: telemetry.tracing, logger: telemetry.logger } : {}),
    dataDir,
    durability,
    functions: loaded.config.functions ?? {},
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(databaseSchema === undefined ? {} : { databaseSchema }),
    ...(tenantConcurrency === undefined ? {} : { tenantConcurrency }),
  });
  const storeLabel = databaseUrl === undefined ? dataDir : redactUrl(databaseUrl);
  let closeAgents: (() => Promise<void>) | undefined;
  let gateway: Gateway | undefined;
  let toolRegistry: ToolRegistry | undefined;
  try {
    const { agents, tools, prompts } = loaded.config;
    if (agents !== undefined || tools !== undefined || prompts !== undefined) {
      // Loaded only for configs with agents: the AI stack stays out of plain engine commands.
      const { enableConfigAgents } = await import('./agents-session.js');
      const agents = await enableConfigAgents(
        baton,
        globals,
        loaded,
        { dataDir, ...(databaseUrl === undefined ? {} : { databaseUrl }) },
        telemetry?.tracing,
      );
      closeAgents = agents.close;
      gateway = agents.gateway;
      toolRegistry = agents.tools;
    }
    const registered = await registerConfigWorkflows(baton, loaded, out);
    return await body({
      baton,
      loaded,
      out,
      registered,
      dataDir,
      storeLabel,
      ...(gateway ? { gateway } : {}),
      ...(toolRegistry ? { tools: toolRegistry } : {}),
      ...(telemetry ? { tracing: telemetry.tracing, spans: telemetry.spanStore } : {}),
    });
  } finally {
    await baton.close();
    await closeAgents?.();
    await telemetry?.close();
  }
}

/**
 * {@link withEngine} for the long-running commands (`dev`, `server`, `worker`): with telemetry on, spans
 * kept in the engine's database (OTLP export with `BATON_OTLP_URL` or `OTEL_EXPORTER_OTLP_ENDPOINT`) and
 * JSON logs on stderr (`BATON_LOG_LEVEL`).
 */
export function withServingEngine<T>(
  globals: GlobalOptions,
  out: Output,
  body: (session: EngineSession) => Promise<T>,
): Promise<T> {
  return withEngine(globals, out, body, { telemetry: true });
}

/** Registers the config's workflows; mentions new versions only to a person at a terminal. */
async function registerConfigWorkflows(
  baton: Baton,
  loaded: LoadedConfig,
  out: Output,
): Promise<WorkflowVersion[]> {
  const registered: WorkflowVersion[] = [];
  for (const entry of loaded.config.workflows ?? []) {
    let source = entry;
    // A string is a spec file path; a multi-line string (or inline JSON) is the spec text itself.
    if (typeof entry === 'string' && !isSpecText(entry)) {
      const path = resolve(loaded.baseDir, entry);
      try {
        source = readFileSync(path, 'utf8');
      } catch (cause) {
        throw new BatonError(
          'CONFIG_INVALID',
          `workflow spec ${entry} listed in ${loaded.source} cannot be read`,
          {
            hint: 'Spec paths are relative to the config file',
            cause,
          },
        );
      }
    }
    const { version, created } = await registerTracked(baton, source);
    registered.push(version);
    if (created && out.tty && !out.json) {
      out.line(out.paint.dim(`registered ${version.id} (${version.label})`));
    }
  }
  return registered;
}

function isSpecText(entry: string): boolean {
  return entry.includes('\n') || /^\s*\{/.test(entry);
}

/**
 * Registers a workflow and tells whether this created a new version: a new version is numbered after
 * every version that existed before.
 */
export async function registerTracked(
  baton: Baton,
  source: Parameters<Baton['register']>[0],
): Promise<{ version: WorkflowVersion; created: boolean }> {
  const before = new Map((await baton.listWorkflows()).map((w) => [w.workflow, w.latest.number]));
  const version = await baton.register(source);
  return { version, created: version.number > (before.get(version.workflow) ?? 0) };
}
