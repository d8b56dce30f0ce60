/**
 * The HTTP API: one Hono app with every route declared by `createRoute` and zod schemas, which both
 * validate requests and generate the OpenAPI 3.1 document. Requests to `/v1/*` are authenticated by
 * API key, rate limited per key and size limited; the gateway's OpenAI-compatible routes are mounted
 * beside them with their own (virtual key) authentication.
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { BatonError } from '../../core/errors.js';
import { createGatewayApp } from '../../gateway/http/gateway-app.js';
import type { ServerContext } from '../context.js';
import { authenticate, type RateLimit, rateLimit } from './auth.js';
import { DASHBOARD_DIR, mountDashboard } from './dashboard.js';
import type { ApiEnv } from './env.js';
import { type ErrorLogger, errorResponse, logToStderr, toErrorResponse, validationHook } from './errors.js';
import { alertRoutes } from './routes/alerts.js';
import { approvalRoutes } from './routes/approvals.js';
import { decidedApprovalRoutes } from './routes/approvals-decided.js';
import { auditRoutes } from './routes/audit-log.js';
import { costRoutes } from './routes/costs.js';
import { eventRoutes } from './routes/events.js';
import { gatewayRoutes } from './routes/gateway.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { metricsRoutes } from './routes/metrics.js';
import { replayRoutes } from './routes/replay.js';
import { runStepRoutes } from './routes/run-step.js';
import { runStreamRoute } from './routes/run-stream.js';
import { runRoutes } from './routes/runs.js';
import { sessionRoutes } from './routes/session.js';
import { spanRoutes } from './routes/spans.js';
import { statsRoutes } from './routes/stats.js';
import { triggerRoutes } from './routes/triggers.js';
import { webhookRoutes } from './routes/webhooks.js';
import { workflowRoutes } from './routes/workflows.js';

/** Options of {@link createApiApp}. */
export interface ApiAppOptions {
  /** Largest request body, in bytes; larger is 413 `PAYLOAD_TOO_LARGE`. @defaultValue 1048576 */
  maxBodyBytes?: number;
  /** Requests per key and window; `false` disables the limit. @defaultValue `{ points: 1200, durationSec: 60 }` */
  rateLimit?: RateLimit | false;
  /** How often the run event stream looks for new events, in ms. @defaultValue 200 */
  streamPollMs?: number;
  /** Silence after which the run event stream sends a keep-alive comment, in ms. @defaultValue 15000 */
  streamHeartbeatMs?: number;
  /** Where unexpected (500) errors are reported. @defaultValue one line to stderr */
  logError?: ErrorLogger;
  /**
   * The folder of the built web dashboard, served at `/`; `false` serves none.
   * @defaultValue the package's `web/dist`, when it has been built
   */
  dashboard?: string | false;
}

/** The paths the gateway answers (with its own virtual keys) when it is mounted. */
export const GATEWAY_PATHS: readonly string[] = ['/v1/chat/completions', '/v1/embeddings', '/v1/models'];

/**
 * Builds the API app over a server's parts.
 * @example
 * const app = createApiApp({ baton, control, now: Date.now, triggers });
 * serve({ fetch: app.fetch, port: 8080 });
 */
export function createApiApp(ctx: ServerContext, options: ApiAppOptions = {}): OpenAPIHono<ApiEnv> {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const log = options.logError ?? logToStderr;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.onError((err, c) => errorResponse(c, err, log));
  app.notFound((c) =>
    errorResponse(
      c,
      new BatonError('ROUTE_NOT_FOUND', `no such endpoint: ${c.req.method} ${c.req.path}`, {
        hint: 'See the endpoints at /reference or /openapi.json',
      }),
      log,
    ),
  );

  const gatewayPath = (path: string) => ctx.gateway !== undefined && GATEWAY_PATHS.includes(path);
  app.use('/v1/*', authenticate(ctx.control, gatewayPath));
  if (options.rateLimit !== false) {
    app.use('/v1/*', rateLimit(options.rateLimit ?? { points: 1200, durationSec: 60 }));
  }
  app.use('/v1/*', async (c, next) => {
    if (gatewayPath(c.req.path)) return next();
    return bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => {
        const { status, body } = toErrorResponse(
          new BatonError('PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBodyBytes} bytes`, {
            details: { maxBytes: maxBodyBytes },
          }),
        );
        return c.json(body, status);
      },
    })(c, next);
  });

  healthRoutes(app, ctx);
  workflowRoutes(app, ctx);
  runRoutes(app, ctx);
  replayRoutes(app, ctx);
  spanRoutes(app, ctx);
  runStepRoutes(app, ctx);
  runStreamRoute(
    app,
    ctx,
    {
      pollMs: options.streamPollMs ?? 200,
      heartbeatMs: options.streamHeartbeatMs ?? 15_000,
    },
    log,
  );
  eventRoutes(app, ctx);
  approvalRoutes(app, ctx);
  decidedApprovalRoutes(app, ctx);
  triggerRoutes(app, ctx);
  webhookRoutes(app, ctx);
  keyRoutes(app, ctx);
  auditRoutes(app, ctx);
  metricsRoutes(app, ctx);
  costRoutes(app, ctx);
  statsRoutes(app, ctx);
  alertRoutes(app, ctx);
  gatewayRoutes(app, ctx);
  sessionRoutes(app, ctx);

  // After ours, so that our /healthz answers rather than the gateway's.
  if (ctx.gateway) app.route('/', createGatewayApp(ctx.gateway));
  if (options.dashboard !== false) mountDashboard(app, options.dashboard ?? DASHBOARD_DIR);
  return app;
}
