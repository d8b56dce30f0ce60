/**
 * One `start_<workflow>` tool per registered workflow: its name (in the MCP tool-name charset), its
 * input schema (the workflow's input as JSON Schema, plus an optional `idempotency_key`), and how its
 * arguments become a run input.
 * @module
 */
import { createHash } from 'node:crypto';
import { BatonError } from '../core/errors.js';
import type { WorkflowVersion } from '../core/types.js';
import type { Baton } from '../runtime/baton.js';
import { modelJsonSchema } from '../tools/define-tool.js';
import type { JsonSchema } from '../tools/tool.js';

/** The argument of every start tool that carries the idempotency key. */
export const IDEMPOTENCY_ARGUMENT = 'idempotency_key';

const KEY_SCHEMA = {
  type: 'string',
  minLength: 1,
  description: 'Starting again with the same key returns the first run instead of starting another',
};
const MAX_TOOL_NAME = 128;
const INVALID_CHARS = /[^A-Za-z0-9_.-]/g;
const INVALID_CHAR = /[^A-Za-z0-9_.-]/;

/** A start tool, as listed and as called. */
export interface StartTool {
  name: string;
  workflow: string;
  /** The version runs start on: the latest when the tool list was refreshed. */
  versionId: string;
  /** The workflow's own description, if it has one. */
  summary: string | null;
  /** The tool's description, for the host's model. */
  description: string;
  inputSchema: JsonSchema;
  /** `flat`: the arguments are the input; `wrapped`: the input is the `input` argument. */
  shape: 'flat' | 'wrapped';
}

/** Start tools already described, by version id: versions are immutable, so is their tool. */
export type StartToolCache = Map<string, Omit<StartTool, 'name'>>;

/**
 * The start tools of every workflow whose latest version this process can run. A version whose
 * TypeScript code is not registered here has no tool: {@link Baton.submit} could not start it.
 * `reserved` names (the fixed tools) are never given to a workflow.
 */
export async function listStartTools(
  baton: Baton,
  cache: StartToolCache,
  reserved: ReadonlySet<string>,
  onWarning: (message: string) => void,
): Promise<StartTool[]> {
  const workflows = (await baton.listWorkflows()).sort((a, b) => a.workflow.localeCompare(b.workflow));
  const described: Omit<StartTool, 'name'>[] = [];
  for (const { latest } of workflows) {
    let tool = cache.get(latest.id);
    if (!tool) {
      try {
        tool = await describeStartTool(baton, latest);
        cache.set(latest.id, tool);
      } catch (err) {
        onWarning(`no start tool for ${latest.id}: ${(err as Error).message ?? String(err)}`);
        continue;
      }
    }
    described.push(tool);
  }
  return nameStartTools(described, reserved);
}

/**
 * Names tools `start_<workflow>`. Names already valid are kept as they are; others have invalid
 * characters replaced by `_`, plus a hash of the workflow name when that collides, so that the name
 * of a tool does not depend on which other workflows exist.
 */
export function nameStartTools(tools: Omit<StartTool, 'name'>[], reserved: ReadonlySet<string>): StartTool[] {
  const taken = new Set(reserved);
  const plain = (t: Omit<StartTool, 'name'>) => `start_${t.workflow}`;
  const valid = (name: string) => name.length <= MAX_TOOL_NAME && !INVALID_CHAR.test(name);
  const named = new Map<Omit<StartTool, 'name'>, string>();
  for (const tool of tools) {
    if (valid(plain(tool)) && !taken.has(plain(tool))) {
      named.set(tool, plain(tool));
      taken.add(plain(tool));
    }
  }
  for (const tool of tools) {
    if (named.has(tool)) continue;
    let name = plain(tool).replace(INVALID_CHARS, '_').slice(0, MAX_TOOL_NAME);
    if (taken.has(name)) {
      const hash = createHash('sha256').update(tool.workflow).digest('hex').slice(0, 8);
      name = `${name.slice(0, MAX_TOOL_NAME - 9)}_${hash}`;
    }
    named.set(tool, name);
    taken.add(name);
  }
  return tools.map((tool) => ({ name: named.get(tool) as string, ...tool }));
}

async function describeStartTool(baton: Baton, version: WorkflowVersion): Promise<Omit<StartTool, 'name'>> {
  const { definition } = await baton.resolve(version.id);
  let input: JsonSchema | undefined;
  try {
    input = modelJsonSchema(definition.input);
  } catch {
    // A schema with no JSON form (dates, transforms) is still checked by submit; the tool takes any input.
    input = undefined;
  }
  const about = definition.description ? `: ${definition.description}` : '';
  const description = `Starts a run of workflow "${version.workflow}" (version ${version.id})${about}. Returns the run id and status; follow the run with get_run.`;
  const common = {
    workflow: version.workflow,
    versionId: version.id,
    summary: definition.description ?? null,
    description,
  };
  if (input !== undefined && isObjectSchema(input) && !hasProperty(input, IDEMPOTENCY_ARGUMENT)) {
    const properties = (input.properties ?? {}) as Record<string, unknown>;
    return {
      ...common,
      shape: 'flat',
      inputSchema: {
        ...input,
        type: 'object',
        properties: { ...properties, [IDEMPOTENCY_ARGUMENT]: KEY_SCHEMA },
      },
    };
  }
  return {
    ...common,
    shape: 'wrapped',
    inputSchema: {
      type: 'object',
      properties: { input: input ?? {}, [IDEMPOTENCY_ARGUMENT]: KEY_SCHEMA },
      required: ['input'],
    },
  };
}

/** The run input and idempotency key carried by a start tool's arguments. */
export function splitStartArguments(
  tool: Pick<StartTool, 'name' | 'shape'>,
  args: Record<string, unknown>,
): { input: unknown; idempotencyKey?: string } {
  const { [IDEMPOTENCY_ARGUMENT]: key, ...rest } = args;
  if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `${IDEMPOTENCY_ARGUMENT} of ${tool.name} must be a non-empty string`,
      {
        details: { issues: [{ path: IDEMPOTENCY_ARGUMENT, message: 'expected a non-empty string' }] },
      },
    );
  }
  const input = tool.shape === 'flat' ? rest : rest.input;
  return { input, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) };
}

/** `{}` accepts anything, objects included: the arguments object can be the input. */
function isObjectSchema(schema: Record<string, unknown>): boolean {
  return schema.type === 'object' || Object.keys(schema).length === 0;
}

function hasProperty(schema: Record<string, unknown>, name: string): boolean {
  const properties = schema.properties;
  return typeof properties === 'object' && properties !== null && name in properties;
}
