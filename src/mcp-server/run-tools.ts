/**
 * The fixed tools of Baton's MCP server: `list_workflows`, `get_run`, `list_approvals` and
 * `decide_approval`. Each confines the caller to its tenant: a run of another tenant is reported
 * exactly as a run that does not exist.
 * @module
 */
import { z } from 'zod';
import { BatonError, isBatonError } from '../core/errors.js';
import type { Run, StepState } from '../core/types.js';
import type { Baton } from '../runtime/baton.js';
import { modelJsonSchema } from '../tools/define-tool.js';
import type { McpIdentity } from './access.js';
import type { StartToolCache } from './start-tools.js';
import type { ToolEntry } from './tool-entry.js';
import { parseArguments } from './tool-results.js';

/** What the fixed tools need besides the engine. */
export interface RunToolsContext {
  baton: Baton;
  /** The longest `wait_seconds` of `get_run`. */
  maxWaitSeconds: number;
  startTools(): ReadonlyMap<string, string>;
  cache: StartToolCache;
}

/** The names of the fixed tools, which no workflow's start tool may take. */
export const FIXED_TOOL_NAMES: ReadonlySet<string> = new Set([
  'list_workflows',
  'get_run',
  'list_approvals',
  'decide_approval',
]);

const runId = z.string().min(1).describe('The run id, as returned by a start_* tool');
const READ = { readOnlyHint: true, openWorldHint: false } as const;

/** The fixed tools. */
export function runTools(ctx: RunToolsContext): ToolEntry[] {
  const { baton } = ctx;
  const listWorkflowsArgs = z.object({});
  const getRunArgs = z.object({
    run_id: runId,
    wait_seconds: z
      .number()
      .min(0)
      .max(ctx.maxWaitSeconds)
      .optional()
      .describe(`Wait up to this long (at most ${ctx.maxWaitSeconds} s) for the run to end before answering`),
  });
  const listApprovalsArgs = z.object({
    workflow: z.string().min(1).optional().describe('Only runs of this workflow'),
    limit: z.number().int().min(1).max(100).default(50).describe('Most runs to look at, newest first'),
  });
  const decideArgs = z.object({
    run_id: runId,
    step_id: z.string().min(1).describe('The approval step id, as listed by list_approvals'),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().optional().describe('Recorded with the decision'),
    data: z.unknown().optional().describe('Approve with changes: data replacing the proposed data'),
  });

  return [
    {
      name: 'list_workflows',
      access: 'read',
      title: 'List workflows',
      description: 'Lists the registered workflows with their latest version, description and start tool.',
      inputSchema: modelJsonSchema(listWorkflowsArgs),
      annotations: READ,
      call: async (args) => {
        parseArguments('list_workflows', listWorkflowsArgs, args);
        const tools = ctx.startTools();
        const workflows = await baton.listWorkflows();
        return {
          workflows: workflows.map(({ workflow, latest, versions }) => ({
            name: workflow,
            latestVersion: latest.id,
            label: latest.label,
            versions,
            description: ctx.cache.get(latest.id)?.summary ?? storedDescription(latest.definition),
            startTool: tools.get(workflow) ?? null,
          })),
        };
      },
    },
    {
      name: 'get_run',
      access: 'read',
      title: 'Get a run',
      description:
        'Shows a run: status, output or error, and a summary of its steps. With wait_seconds, waits for the run to end first (answering with its current state if it has not).',
      inputSchema: modelJsonSchema(getRunArgs),
      annotations: READ,
      call: async (args, identity) => {
        const { run_id, wait_seconds } = parseArguments('get_run', getRunArgs, args);
        let run = await runOfTenant(baton, identity, run_id);
        if (wait_seconds !== undefined && wait_seconds > 0) run = await waitBounded(baton, run, wait_seconds);
        return { ...runView(run), steps: (await baton.steps(run.id)).map(stepView) };
      },
    },
    {
      name: 'list_approvals',
      access: 'read',
      title: 'List approvals waiting',
      description:
        "Lists the approval steps waiting for a decision in the caller's tenant: run, step, prompt, data, assignee or role, and how long they have waited.",
      inputSchema: modelJsonSchema(listApprovalsArgs),
      annotations: READ,
      call: async (args, identity) => {
        const { workflow, limit } = parseArguments('list_approvals', listApprovalsArgs, args);
        const runs = await baton.listRuns({
          tenant: identity.tenant,
          // A run with an approval waiting on one branch is still running on another.
          status: ['waiting', 'running'],
          limit,
          ...(workflow === undefined ? {} : { workflow }),
        });
        const now = Date.now();
        const approvals = [];
        for (const run of runs) {
          for (const step of await baton.steps(run.id)) {
            const request = step.status === 'waiting' ? step.wait?.approval : undefined;
            if (!request) continue;
            approvals.push({
              runId: run.id,
              workflow: run.workflow,
              stepId: step.stepId,
              prompt: request.prompt,
              ...(request.data === undefined ? {} : { data: request.data }),
              ...(request.assignee === undefined ? {} : { assignee: request.assignee }),
              ...(request.role === undefined ? {} : { role: request.role }),
              ...(step.startedAt === undefined
                ? {}
                : {
                    waitingSince: iso(step.startedAt),
                    ageSeconds: Math.max(0, Math.round((now - step.startedAt) / 1000)),
                  }),
              ...(request.timeoutAt === undefined
                ? {}
                : { timeoutAt: iso(request.timeoutAt), defaultAction: request.defaultAction }),
            });
          }
        }
        return { approvals };
      },
    },
    {
      name: 'decide_approval',
      access: 'decide',
      title: 'Decide an approval',
      description:
        'Approves or rejects an approval step that is waiting (see list_approvals). The decision is recorded as made by the caller.',
      inputSchema: modelJsonSchema(decideArgs),
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
      call: async (args, identity) => {
        const parsed = parseArguments('decide_approval', decideArgs, args);
        await runOfTenant(baton, identity, parsed.run_id);
        const decision = {
          approved: parsed.decision === 'approve',
          by: identity.subject,
          ...(parsed.comment === undefined ? {} : { comment: parsed.comment }),
          ...(parsed.data === undefined ? {} : { data: parsed.data }),
        };
        await baton.decide(parsed.run_id, parsed.step_id, decision);
        const run = await baton.getRun(parsed.run_id);
        return { runId: run.id, stepId: parsed.step_id, ...decision, runStatus: run.status };
      },
    },
  ];
}

/** The run, if it belongs to the caller's tenant; `RUN_NOT_FOUND` otherwise, as for an unknown id. */
export async function runOfTenant(baton: Baton, identity: McpIdentity, id: string): Promise<Run> {
  let run: Run | undefined;
  try {
    run = await baton.getRun(id);
  } catch (err) {
    if (!isBatonError(err) || err.code !== 'RUN_NOT_FOUND') throw err;
  }
  if (!run || run.tenant !== identity.tenant) {
    throw new BatonError('RUN_NOT_FOUND', `run ${id} does not exist`, {
      hint: 'Use the run id a start_* tool returned, or find waiting runs with list_approvals',
      details: { runId: id },
    });
  }
  return run;
}

/** A run as tools show it. */
export function runView(run: Run) {
  return {
    runId: run.id,
    workflow: run.workflow,
    version: run.versionId,
    status: run.status,
    input: run.input,
    ...(run.output === undefined ? {} : { output: run.output }),
    ...(run.error === undefined ? {} : { error: run.error }),
    ...(run.idempotencyKey === undefined ? {} : { idempotencyKey: run.idempotencyKey }),
    createdAt: iso(run.createdAt),
    ...(run.finishedAt === undefined ? {} : { finishedAt: iso(run.finishedAt) }),
  };
}

async function waitBounded(baton: Baton, run: Run, seconds: number): Promise<Run> {
  try {
    return await baton.waitForRun(run.id, { timeoutMs: Math.round(seconds * 1000) });
  } catch (err) {
    // Not having ended yet is an answer, not an error: the caller asks again.
    if (isBatonError(err) && err.code === 'RUN_TIMEOUT') return baton.getRun(run.id);
    throw err;
  }
}

function stepView(step: StepState) {
  return {
    id: step.stepId,
    status: step.status,
    attempt: step.attempt,
    ...(step.wait === undefined ? {} : { waitingFor: step.wait.type }),
    ...(step.error === undefined ? {} : { error: { code: step.error.code, message: step.error.message } }),
  };
}

function storedDescription(definition: unknown): string | null {
  const value = (definition as { description?: unknown } | null)?.description;
  return typeof value === 'string' ? value : null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
