/**
 * Serving the web dashboard (`web/`, built by Vite into `web/dist`) at `/`. Its files are static and it
 * reads the public API like any other client. Paths the API owns are never shadowed: the dashboard is
 * mounted after every route and answers only GETs that no route took.
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from './env.js';

/** Where the built dashboard sits in the package (same depth from `src/` and `dist/`). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** Paths that stay the API's own 404s instead of falling back to the dashboard's page. */
const API_PREFIXES = ['/v1/', '/metrics', '/openapi.json', '/reference', '/healthz', '/readyz'];

/**
 * Serves the dashboard from `dir`: its assets (hashed names, cached for a year), and `index.html` for
 * any other GET that asks for HTML, so that a view's address can be reloaded or shared.
 * Returns false, and serves nothing, when `dir` holds no build (`npm run build:web` makes one).
 */
export function mountDashboard(app: OpenAPIHono<ApiEnv>, dir = DASHBOARD_DIR): boolean {
  if (!existsSync(`${dir}/index.html`)) return false;
  app.use('/assets/*', async (c, next) => {
    await next();
    if (c.res.status === 200) c.header('cache-control', 'public, max-age=31536000, immutable');
  });
  app.use('/assets/*', serveStatic({ root: dir }));
  app.get('/favicon.svg', serveStatic({ root: dir }));
  app.get('*', async (c, next) => {
    const path = c.req.path;
    const wantsHtml = (c.req.header('accept') ?? '').includes('text/html');
    if (!wantsHtml || API_PREFIXES.some((p) => path === p || path.startsWith(p))) return next();
    c.header('cache-control', 'no-cache');
    return serveStatic({ root: dir, path: 'index.html' })(c, next);
  });
  return true;
}
