/**
 * Unauthenticated routes: `/healthz` (the process is up), `/readyz` (the engine's store and the control
 * store answer), `/openapi.json` and the `/reference` page.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { ServerContext } from '../../context.js';
import type { ApiEnv } from '../env.js';
import { referencePage } from '../reference-page.js';
import { ErrorSchema, jsonContent } from '../schemas.js';

/** The document's `info` and servers. */
export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Baton API',
    version: '1',
    description:
      'Durable AI-agent workflows: workflows, runs, events, approvals, triggers, webhooks, keys and audit. ' +
      'Authenticate with `Authorization: Bearer bk_...`. Every error is `{ "error": { "code", "message", "details" } }`.',
  },
  security: [{ bearer: [] }],
};

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['Health'],
  summary: 'The process is up',
  security: [],
  responses: { 200: jsonContent(z.object({ ok: z.literal(true) }), 'Up') },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['Health'],
  summary: 'The stores answer',
  security: [],
  responses: {
    200: jsonContent(z.object({ ok: z.literal(true) }), 'Ready'),
    503: jsonContent(ErrorSchema, 'A store does not answer'),
  },
});

/** Adds the health routes, the OpenAPI document and the reference page. */
export function healthRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key, `bk_<id>_<secret>`',
  });

  app.openapi(healthz, (c) => c.json({ ok: true as const }, 200));

  app.openapi(readyz, async (c) => {
    try {
      await Promise.all([ctx.baton.store.getRun('readyz-probe'), ctx.control.readCursor('readyz-probe')]);
    } catch (err) {
      throw new BatonError('STORE_UNAVAILABLE', 'a store does not answer', { cause: err });
    }
    return c.json({ ok: true as const }, 200);
  });

  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openapi = () => {
    document ??= app.getOpenAPI31Document(OPENAPI_INFO);
    return document;
  };
  let html: string | undefined;
  app.get('/openapi.json', (c) => c.json(openapi()));
  app.get('/reference', (c) => {
    html ??= referencePage(openapi());
    return c.html(html);
  });
}
