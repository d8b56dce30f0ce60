/**
 * Replay and fork routes: check a version against a past run of the caller's tenant (nothing
 * written, no model called, no effect run), and start a new run from one of its steps.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, JsonValue, jsonBody, jsonContent, RunSchema } from '../schemas.js';
import { audit, runOfTenant } from '../scope.js';

const RunParams = z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });

const Version = z
  .union([z.number().int().min(1).max(1_000_000), Id])
  .optional()
  .openapi({
    description: "A version number or id (`name@2`) of the run's workflow; the run's own when omitted",
  });

const ReplayBody = z.strictObject({ version: Version });

const ReplaySchema = z
  .object({
    runId: z.string(),
    workflow: z.string(),
    recordedWith: z.string(),
    replayedWith: z.string(),
    diverged: z.boolean(),
    steps: z.array(
      z.object({
        stepId: z.string(),
        status: z.enum(['same', 'diverged', 'new', 'missing']),
        detail: z.string(),
        mode: z.enum(['executed', 'answered', 'recorded', 'not-run', 'absent']),
      }),
    ),
    output: z.object({ status: z.enum(['same', 'diverged', 'not-compared']), detail: z.string() }),
    modelCalls: z.number(),
    effects: z.number(),
    answeredFromRecording: z.number(),
    refusedModelCalls: z.number(),
  })
  .openapi('ReplayReport');

const ForkBody = z.strictObject({
  fromStep: Id.openapi({
    description: 'The first step executed live; the steps before it keep their recorded outputs',
  }),
  input: JsonValue.optional().openapi({ description: "The fork's input; the run's when omitted" }),
  version: Version,
  allowEffects: z
    .boolean()
    .optional()
    .openapi({ description: 'Let effect steps at or after `fromStep` run; refused (409) otherwise' }),
});

const ForkSchema = z
  .object({
    run: RunSchema,
    reused: z.array(z.string()),
    executed: z.array(z.string()),
    effects: z.array(z.string()),
  })
  .openapi('Fork');

const replay = createRoute({
  operationId: 'runs.replay',
  method: 'post',
  path: '/v1/runs/{id}/replay',
  tags: ['Runs'],
  summary: 'Re-execute a run against its recorded outputs (no model call, no effect) and report divergence',
  middleware: [allow('runs.replay')] as const,
  request: {
    params: RunParams,
    body: { required: false, content: { 'application/json': { schema: ReplayBody } } },
  },
  responses: {
    200: jsonContent(ReplaySchema, 'How each step compares with the recorded run'),
    ...ERROR_RESPONSES,
    409: jsonContent(
      z.unknown(),
      "WORKFLOW_CODE_MISSING: the version's code is not registered in the server",
    ),
  },
});

const fork = createRoute({
  operationId: 'runs.fork',
  method: 'post',
  path: '/v1/runs/{id}/fork',
  tags: ['Runs'],
  summary: 'A new run from a step of this one, tagged `forked-from:<id>@<step>`',
  middleware: [allow('runs.fork')] as const,
  request: { params: RunParams, body: jsonBody(ForkBody) },
  responses: {
    202: jsonContent(ForkSchema, 'The new run, and which steps it reused and executes'),
    ...ERROR_RESPONSES,
    409: jsonContent(z.unknown(), 'FORK_EFFECTS_REFUSED: effect steps would run without allowEffects'),
  },
});

/** Adds `POST /v1/runs/{id}/replay` and `POST /v1/runs/{id}/fork`. */
export function replayRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(replay, async (c) => {
    const run = await runOfTenant(ctx, c.get('caller'), c.req.valid('param').id);
    const body = c.req.valid('json') ?? {};
    const report = await ctx.baton.replay(
      run.id,
      body.version === undefined ? {} : { version: versionId(run.workflow, body.version) },
    );
    return c.json(report, 200);
  });

  app.openapi(fork, async (c) => {
    const caller = c.get('caller');
    const source = await runOfTenant(ctx, caller, c.req.valid('param').id);
    const body = c.req.valid('json');
    const result = await ctx.baton.fork(source.id, {
      fromStep: body.fromStep,
      ...(body.input === undefined ? {} : { input: body.input }),
      ...(body.version === undefined ? {} : { version: versionId(source.workflow, body.version) }),
      ...(body.allowEffects ? { allowEffects: true } : {}),
    });
    await audit(ctx, caller, 'run.fork', result.run.id, {
      forkOf: source.id,
      fromStep: body.fromStep,
      effects: result.effects,
    });
    return c.json(result, 202, { Location: `/v1/runs/${result.run.id}` });
  });
}

function versionId(workflow: string, version: number | string): string {
  return typeof version === 'number' || /^\d+$/.test(version) ? `${workflow}@${version}` : version;
}
