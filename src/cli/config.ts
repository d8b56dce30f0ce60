/**
 * The `baton` command's config: a module whose default export lists workflows, functions and engine
 * settings. Found by `--config`, else `baton.config.{ts,js,mjs}` in the current directory, else the
 * built-in examples.
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { AgentDefinition } from '../agents/agent/define-agent.js';
import type { RegisteredFunction, WorkflowDefinition } from '../core/definition.js';
import { parseDuration } from '../core/duration.js';
import { BatonError } from '../core/errors.js';
import type { Baton } from '../runtime/baton.js';
import type { Tool } from '../tools/tool.js';
import { importModule } from './load-module.js';

/** The default export of a config module. */
export interface BatonConfig {
  /** TypeScript definitions, paths to `.yaml`/`.json` specs relative to the config file, or spec text (multi-line). */
  workflows?: (WorkflowDefinition | string)[];
  /** Functions callable from spec steps of kind `fn`. */
  functions?: Record<string, RegisteredFunction>;
  /** Relative to the config file. @defaultValue './.baton' (in the current directory) */
  dataDir?: string;
  /** @defaultValue 'full' */
  durability?: 'full' | 'normal';
  /** `postgres://…`: run on Postgres (many workers, many machines). `BATON_DATABASE_URL` overrides it. */
  databaseUrl?: string;
  /** Postgres schema of Baton's tables. @defaultValue the connection's (`public`) */
  databaseSchema?: string;
  /** Most tasks of one tenant running at once across all workers: a number, or per tenant with `'*'`. */
  tenantConcurrency?: number | Record<string, number>;
  worker?: { concurrency?: number; leaseMs?: number };
  /** Finished runs older than this are pruned (`30d`). @defaultValue '30d' for `baton runs prune` */
  retention?: string | number;
  /** The LLM gateway: providers, routes, limits, prices, PII (see docs/gateway.md). Validated when the gateway starts. */
  gateway?: unknown;
  /**
   * Alert rules for `baton server` and `baton dev`: a YAML/JSON file path (relative to the config file)
   * or the config itself (see "Costs and alerts" in docs/operations.md); `false` turns alerts off.
   */
  alerts?: string | Record<string, unknown> | false;
  /**
   * Agents, offered to `agent` steps and to each other for delegation. With `agents`, `tools` or
   * `prompts` set, every command's engine gets the `llm`, `tool`, `agent` and `plan` step kinds, on the
   * gateway of the `gateway` section (offline when it names no provider and no key is set).
   */
  agents?: AgentDefinition[];
  /** Local tools for the tool hub (`defineTool`). */
  tools?: Tool[];
  /** Directory of prompt files, relative to the config file. */
  prompts?: string;
  /** Input of the demo run of each workflow, by name (`baton demo`). */
  demoInputs?: Record<string, unknown>;
  /** Plays the humans of the demo (approvals, events) while `baton demo` follows its runs. */
  demoScript?: (baton: Baton, runIds: string[], log?: (line: string) => void) => Promise<void>;
}

/** A config, with where it came from. */
export interface LoadedConfig {
  config: BatonConfig;
  /** Spec paths and `dataDir` resolve against this directory. */
  baseDir: string;
  /** The config file, or `built-in examples`. */
  source: string;
}

const CONFIG_NAMES = ['baton.config.ts', 'baton.config.js', 'baton.config.mjs'];

const isDefinition = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  'name' in v &&
  'steps' in v &&
  Array.isArray((v as { steps: unknown }).steps);

const configSchema = z.object({
  workflows: z
    .array(
      z.union([
        z.string().min(1),
        z.custom<WorkflowDefinition>(isDefinition, 'expected a workflow definition or a spec file path'),
      ]),
    )
    .optional(),
  functions: z
    .record(
      z.string(),
      z.custom<RegisteredFunction>((f) => typeof f === 'function', 'expected a function'),
    )
    .optional(),
  dataDir: z.string().min(1).optional(),
  durability: z.enum(['full', 'normal']).optional(),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  databaseSchema: z.string().min(1).optional(),
  tenantConcurrency: z
    .union([z.number().int().positive(), z.record(z.string(), z.number().int().positive())])
    .optional(),
  worker: z
    .object({
      concurrency: z.number().int().positive().optional(),
      leaseMs: z.number().int().positive().optional(),
    })
    .optional(),
  retention: z
    .union([z.string(), z.number()])
    .refine((v) => {
      try {
        parseDuration(v);
        return true;
      } catch {
        return false;
      }
    }, 'expected a duration such as 30d')
    .optional(),
  gateway: z.unknown().optional(),
  alerts: z.union([z.string().min(1), z.record(z.string(), z.unknown()), z.literal(false)]).optional(),
  agents: z
    .array(
      z.custom<AgentDefinition>(
        (a) => typeof a === 'object' && a !== null && 'name' in a,
        'expected an agent',
      ),
    )
    .optional(),
  tools: z
    .array(
      z.custom<Tool>(
        (t) => typeof t === 'object' && t !== null && 'call' in t,
        'expected a tool (defineTool)',
      ),
    )
    .optional(),
  prompts: z.string().min(1).optional(),
  demoInputs: z.record(z.string(), z.unknown()).optional(),
  demoScript: z
    .custom<BatonConfig['demoScript']>((f) => typeof f === 'function', 'expected a function')
    .optional(),
});

/**
 * Loads the config: `explicit` (from `--config`), else `baton.config.*` in `cwd`, else the built-in
 * examples. Throws `CONFIG_INVALID` with every issue when its shape is wrong.
 */
export async function loadConfig(explicit: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  let path: string | undefined;
  if (explicit !== undefined) {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new BatonError('CONFIG_INVALID', `config file ${explicit} does not exist`, {
        hint: 'Pass the path of a module whose default export is the config, relative to the current directory',
      });
    }
  } else {
    path = CONFIG_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  }
  if (path === undefined) return loadExamples();
  return { config: await readConfigModule(path), baseDir: dirname(path), source: path };
}

/** The built-in examples (`examples/index.ts` of the package), used when no config is found. */
export async function loadExamples(): Promise<LoadedConfig> {
  // From src/cli/ or dist/cli/, the package root is two levels up; examples ship as TypeScript.
  const candidates = ['../../examples/index.js', '../../examples/index.ts'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new BatonError(
      'CONFIG_INVALID',
      'no baton.config.ts in this directory and the built-in examples are missing',
      {
        hint: 'Create baton.config.ts (default export: { workflows, functions }) or pass --config <file>',
      },
    );
  }
  return { config: await readConfigModule(path), baseDir: dirname(path), source: 'built-in examples' };
}

async function readConfigModule(path: string): Promise<BatonConfig> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (cause) {
    throw new BatonError(
      'CONFIG_INVALID',
      `could not load config ${path}: ${(cause as Error).message ?? String(cause)}`,
      {
        hint: 'Fix the error in the config module (run it with `npx tsx <file>` to see the full error)',
        cause,
      },
    );
  }
  const raw = mod.default;
  if (typeof raw !== 'object' || raw === null) {
    throw new BatonError('CONFIG_INVALID', `config ${path} has no default export object`, {
      hint: 'Export the config as default: export default { workflows: [...], functions: {...} }',
    });
  }
  // Named exports complete the default one (the examples export demoInputs and demoScript by name too).
  const merged = {
    ...raw,
    ...(mod.demoInputs !== undefined && !('demoInputs' in raw) ? { demoInputs: mod.demoInputs } : {}),
    ...(mod.demoScript !== undefined && !('demoScript' in raw) ? { demoScript: mod.demoScript } : {}),
  };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new BatonError('CONFIG_INVALID', `config ${path} is invalid`, {
      hint: 'Fix the fields listed below',
      details: {
        issues: parsed.error.issues.map((i) => ({
          path: i.path.join('.'),
          code: i.code,
          message: i.message,
        })),
      },
    });
  }
  return parsed.data as BatonConfig;
}
