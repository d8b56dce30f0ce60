/**
 * `GET /metrics`: the Prometheus exposition of the engine, the gateway and the tools. Unauthenticated
 * like `/healthz` unless the server has a metrics token (`BATON_METRICS_TOKEN`), which the scraper
 * then sends as `Authorization: Bearer <token>`. Outside `/v1`, so API keys and their rate limit do
 * not apply: a scraper is not a tenant.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { ServerContext } from '../../context.js';
import type { ApiEnv } from '../env.js';

/** Adds `GET /metrics` when the server has an exporter. */
export function metricsRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  const metrics = ctx.metrics;
  if (!metrics) return;
  const token = metrics.token === undefined || metrics.token === '' ? undefined : digest(metrics.token);
  app.get('/metrics', async (c) => {
    if (token) {
      const sent = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (sent === undefined || !timingSafeEqual(digest(sent), token)) {
        throw new BatonError('UNAUTHENTICATED', 'GET /metrics needs the metrics token', {
          hint: 'Send Authorization: Bearer <BATON_METRICS_TOKEN> (set in the scraper, e.g. Prometheus `authorization`)',
        });
      }
    }
    let text: string;
    try {
      text = await metrics.exporter.metrics();
    } catch (err) {
      throw new BatonError('STORE_UNAVAILABLE', 'the metrics could not be read from the stores', {
        hint: 'Check that the database answers (see /readyz); the next scrape tries again',
        cause: err,
      });
    }
    return c.body(text, 200, { 'Content-Type': metrics.exporter.contentType });
  });
}

/** Same length whatever was sent, for a constant-time comparison. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
