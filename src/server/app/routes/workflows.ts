/**
 * Workflow routes: list, get with versions, diff two versions, register a JSON/YAML spec, validate a
 * spec without registering it. Workflows are global definitions shared by every tenant; their runs
 * are not.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, jsonContent, VersionSchema } from '../schemas.js';
import { audit } from '../scope.js';

const WorkflowSummary = z
  .object({
    workflow: z.string(),
    versions: z.number(),
    latest: VersionSchema,
  })
  .openapi('WorkflowSummary');

const SpecBody = {
  required: true,
  description: 'A workflow spec: JSON, or YAML text (`Content-Type: text/yaml`)',
  content: {
    'application/json': { schema: z.record(z.string(), z.unknown()) },
    'text/yaml': { schema: z.string() },
    'application/yaml': { schema: z.string() },
  },
};

const NameParam = z.object({ name: Id.openapi({ param: { name: 'name', in: 'path' } }) });

const list = createRoute({
  operationId: 'workflows.list',
  method: 'get',
  path: '/v1/workflows',
  tags: ['Workflows'],
  summary: 'List registered workflows with their latest version',
  middleware: [allow('workflows.list')] as const,
  responses: {
    200: jsonContent(z.object({ data: z.array(WorkflowSummary) }), 'The workflows'),
    ...ERROR_RESPONSES,
  },
});

const get = createRoute({
  operationId: 'workflows.get',
  method: 'get',
  path: '/v1/workflows/{name}',
  tags: ['Workflows'],
  summary: 'A workflow with all its versions, newest last',
  middleware: [allow('workflows.get')] as const,
  request: { params: NameParam },
  responses: {
    200: jsonContent(z.object({ workflow: z.string(), versions: z.array(VersionSchema) }), 'The workflow'),
    ...ERROR_RESPONSES,
  },
});

const diff = createRoute({
  operationId: 'workflows.diff',
  method: 'get',
  path: '/v1/workflows/{name}/diff',
  tags: ['Workflows'],
  summary: 'What changed between two versions (`from`, `to`: a number or a version id)',
  middleware: [allow('workflows.diff')] as const,
  request: {
    params: NameParam,
    query: z.strictObject({ from: Id, to: Id }),
  },
  responses: { 200: jsonContent(z.unknown(), 'The diff'), ...ERROR_RESPONSES },
});

const register = createRoute({
  operationId: 'workflows.register',
  method: 'post',
  path: '/v1/workflows',
  tags: ['Workflows'],
  summary: 'Register a spec; the same content registers once, changed content becomes a new version',
  middleware: [allow('workflows.register')] as const,
  request: { body: SpecBody },
  responses: {
    201: jsonContent(z.object({ version: VersionSchema }), 'The registered version'),
    ...ERROR_RESPONSES,
    422: jsonContent(z.unknown(), 'INVALID_SPEC, with details.issues (path, code, message)'),
  },
});

const validate = createRoute({
  operationId: 'workflows.validate',
  method: 'post',
  path: '/v1/workflows/validate',
  tags: ['Workflows'],
  summary: 'Validate a spec without registering it',
  middleware: [allow('workflows.validate')] as const,
  request: { body: SpecBody },
  responses: {
    200: jsonContent(
      z.object({
        valid: z.literal(true),
        workflow: z.string(),
        version: z.string(),
        steps: z.array(z.string()),
      }),
      'The spec is valid',
    ),
    ...ERROR_RESPONSES,
    422: jsonContent(z.unknown(), 'INVALID_SPEC, with details.issues (path, code, message)'),
  },
});

/** Adds the workflow routes. */
export function workflowRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(list, async (c) => {
    const data = await ctx.baton.listWorkflows();
    return c.json({ data }, 200);
  });

  app.openapi(get, async (c) => {
    const { name } = c.req.valid('param');
    return c.json({ workflow: name, versions: await ctx.baton.versions(name) }, 200);
  });

  app.openapi(diff, async (c) => {
    const { name } = c.req.valid('param');
    const { from, to } = c.req.valid('query');
    const versionId = (ref: string) => (/^\d+$/.test(ref) ? `${name}@${ref}` : ref);
    const [a, b] = [versionId(from), versionId(to)];
    for (const id of [a, b]) {
      if (!id.startsWith(`${name}@`)) {
        throw new BatonError('VERSION_NOT_FOUND', `version ${id} is not a version of workflow "${name}"`, {
          details: { workflow: name, version: id },
        });
      }
    }
    return c.json(await ctx.baton.diff(a, b), 200);
  });

  app.openapi(register, async (c) => {
    const version = await ctx.baton.register(
      await specOf(c.req.raw.headers, () => c.req.text(), c.req.valid('json')),
    );
    await audit(ctx, c.get('caller'), 'workflow.register', version.id, { hash: version.hash });
    return c.json({ version }, 201);
  });

  app.openapi(validate, async (c) => {
    const def = ctx.baton.validate(await specOf(c.req.raw.headers, () => c.req.text(), c.req.valid('json')));
    return c.json(
      { valid: true as const, workflow: def.name, version: def.version, steps: def.steps.map((s) => s.id) },
      200,
    );
  });
}

/** The spec of a request: its YAML text, or its JSON body (already parsed and checked to be an object). */
async function specOf(
  headers: Headers,
  text: () => Promise<string>,
  json: unknown,
): Promise<string | Record<string, unknown>> {
  const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'text/yaml' || type === 'application/yaml') return await text();
  // The JSON schema of the body admits objects only.
  return json as Record<string, unknown>;
}
