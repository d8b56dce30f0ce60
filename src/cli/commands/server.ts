/**
 * `baton server` (the HTTP API, with webhooks, triggers and approval SLAs) and `baton dev` (the same,
 * plus a worker, in one process: everything a laptop needs, on SQLite by default).
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { Baton } from '../../runtime/baton.js';
import { DASHBOARD_DIR } from '../../server/app/dashboard.js';
import { ensureFirstAdminKey, type RunningServer, startServer } from '../../server/start-server.js';
import { openAlerts } from '../alerts-session.js';
import { parseIntArg } from '../args.js';
import { openControl } from '../control-session.js';
import { type EngineSession, type GlobalOptions, withServingEngine } from '../engine.js';
import { processOutput } from '../format.js';
import { openGateway } from '../gateway-session.js';
import { DEFAULT_RETENTION } from './runs.js';
import { untilSignal } from './worker.js';

interface ServeOptions {
  port?: string;
  host: string;
  services: boolean;
}

/** The `server` command. */
export function serverCommand(): Command {
  return withServeOptions(
    new Command('server').description(
      'serve the HTTP API (/v1, /openapi.json, /reference) with webhooks, triggers and approval SLAs; run workers beside it',
    ),
  ).action(async (opts: ServeOptions, cmd: Command) => {
    await serve(cmd.optsWithGlobals<GlobalOptions>(), opts, false);
  });
}

/** The `dev` command. */
export function devCommand(): Command {
  return withServeOptions(
    new Command('dev').description(
      'run the API server, a worker and the scheduler in one process (SQLite in ./.baton by default)',
    ),
  )
    .option('--demo', "submit one run of each of the config's workflows at start (what `npm start` does)")
    .action(async (opts: ServeOptions & { demo?: boolean }, cmd: Command) => {
      await serve(cmd.optsWithGlobals<GlobalOptions>(), opts, true, opts.demo === true);
    });
}

function withServeOptions(command: Command): Command {
  return command
    .option('--port <n>', 'port (default: $BATON_PORT, else 3000)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--no-services', 'do not run webhooks, cron triggers and approval SLAs in this process');
}

async function serve(
  globals: GlobalOptions,
  opts: ServeOptions,
  withWorker: boolean,
  demo = false,
): Promise<void> {
  const out = processOutput(globals.json === true);
  const port = parseIntArg(opts.port ?? process.env.BATON_PORT ?? '3000', '--port', 0);
  await withServingEngine(globals, out, async (session) => {
    const control = await openControl(globals);
    let ownGateway: Awaited<ReturnType<typeof openGateway>> | undefined;
    let server: RunningServer | undefined;
    let alerts: Awaited<ReturnType<typeof openAlerts>>;
    try {
      alerts = await openAlerts(globals, session.loaded, withWorker);
      if (!session.gateway) ownGateway = await openGateway(globals, undefined, session.tracing);
      const gateway = (session.gateway ?? ownGateway?.gateway) as Gateway;
      const first = await ensureFirstAdminKey(control);
      server = await startServer({
        baton: session.baton,
        control,
        gateway,
        port,
        hostname: opts.host,
        services: opts.services,
        ...(session.spans ? { spans: session.spans } : {}),
        // The breakers of the config's tools, beside the gateway's, in /metrics.
        ...(session.tools ? { metrics: { tools: session.tools } } : {}),
        ...(alerts
          ? {
              alerts: { ...alerts.options, baseUrl: alerts.options.baseUrl ?? `http://${opts.host}:${port}` },
            }
          : {}),
      });
      const worker = withWorker ? startWorker(session, out) : undefined;
      report(out, server, first, session, withWorker);
      if (!isLoopback(opts.host) && !process.env.BATON_METRICS_TOKEN) {
        // /metrics carries every tenant's run counts and spend: fine on loopback, not on a network.
        out.warn(
          `/metrics answers without authentication on ${opts.host} and shows every tenant's figures; set BATON_METRICS_TOKEN to require a bearer token`,
        );
      }
      if (demo) void submitDemo(session.baton, session, out);
      const signal = await untilSignal();
      out.line(out.paint.dim(`${signal}: stopping`));
      await worker?.stop();
    } finally {
      await server?.close();
      await alerts?.state.close();
      await control.close();
      if (ownGateway) {
        await ownGateway.gateway.close();
        await ownGateway.ledger.close();
      }
    }
  });
}

function startWorker(session: EngineSession, out: EngineSession['out']) {
  const settings = session.loaded.config.worker ?? {};
  return session.baton.worker({
    concurrency: settings.concurrency ?? 50,
    leaseMs: settings.leaseMs ?? 5000,
    retentionMs: parseDuration(session.loaded.config.retention ?? DEFAULT_RETENTION),
    onError: (e) => out.warn(`worker error: ${(e as Error).message ?? String(e)}`),
  });
}

function report(
  out: EngineSession['out'],
  server: RunningServer,
  first: Awaited<ReturnType<typeof ensureFirstAdminKey>>,
  session: EngineSession,
  withWorker: boolean,
): void {
  const p = out.paint;
  // The server mounts the dashboard only when it is built (`npm run build:web`; `npm start` builds it).
  const dashboard = existsSync(join(DASHBOARD_DIR, 'index.html')) ? `${server.url}/` : undefined;
  out.data({
    event: 'listening',
    url: server.url,
    worker: withWorker,
    ...(dashboard ? { dashboard } : {}),
    ...(first
      ? { firstKey: { prefix: first.key.prefix, tenant: first.key.tenant, secret: first.secret } }
      : {}),
  });
  out.line(
    `${p.bold('Baton')} API on ${p.bold(server.url)} (store: ${session.storeLabel})${withWorker ? ', with a worker' : ''}`,
  );
  if (dashboard) out.line(`  Dashboard      ${p.bold(dashboard)}`);
  out.line(`  API reference  ${server.url}/reference`);
  out.line(`  OpenAPI        ${server.url}/openapi.json`);
  out.line(`  LLM gateway    ${server.url}/v1/chat/completions (OpenAI-compatible; gateway keys)`);
  if (first) {
    out.line('');
    out.line(`First admin key (tenant ${first.key.tenant}); shown once, keep it:`);
    out.line(`  ${p.bold(first.secret)}`);
    out.line(p.dim(`  curl -H "Authorization: Bearer ${first.secret}" ${server.url}/v1/workflows`));
    // The key rides in the fragment, which browsers never send to a server; the dashboard signs in
    // with it and removes it from the address bar.
    if (dashboard) out.line(`  Sign in to the dashboard: ${p.bold(`${dashboard}#key=${first.secret}`)}`);
  } else {
    out.line(p.dim('  keys: `baton keys list`; a new one: `baton keys create --role admin`'));
  }
  out.line(p.dim('Ctrl-C to stop'));
}

async function submitDemo(baton: Baton, session: EngineSession, out: EngineSession['out']): Promise<void> {
  try {
    const names = [...new Set(session.registered.map((v) => v.workflow))];
    const ids: string[] = [];
    for (const name of names) {
      const run = await baton.submit(name, session.loaded.config.demoInputs?.[name] ?? {});
      ids.push(run.id);
      out.line(`  demo: ${name} run ${run.id} submitted`);
    }
    await session.loaded.config.demoScript?.call(undefined, baton, ids, (line: string) =>
      out.line(out.paint.dim(line)),
    );
  } catch (err) {
    out.warn(`demo: ${(err as Error).message ?? String(err)}`);
  }
}

/** True for the addresses only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
