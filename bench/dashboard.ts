/**
 * Dashboard benchmark: how fast the run page draws the graph and the timeline of a run of 5,000 map
 * items. Builds the dashboard if its build is missing or older than `web/src`, starts a real
 * `baton dev` on a temp dir with a config registering `fanout` (prepare → list (fails once, retried) →
 * process: a map over N items, 64 at a time, every 250th item failing once → aggregate → notify, and an
 * `audit` step beside), runs it to completion, then opens its page in headless Chromium (signed in with
 * the printed admin key) and measures inside the page, from navigation start (performance.now()):
 * the first graph node, the first timeline row, both drawn, the expansion of the 5,000 items, and a
 * scroll through them one step per frame (with Chromium's own script, style and layout time). Then a
 * second run of the same size is followed live from its submission: how long after its end the page
 * shows it done, and the long tasks the live updates caused.
 *
 *   npx tsx bench/dashboard.ts                  # 5,000 items, the run page (/runs/<id>)
 *   npx tsx bench/dashboard.ts --items 500
 *   npx tsx bench/dashboard.ts --page own       # a page with only the graph and the timeline
 *   npx tsx bench/dashboard.ts --live off       # skip the live run (items of --item-ms, default 25)
 *
 * `--page run` (the default, `auto`, falls back to `own` when the run page shows no graph or timeline
 * within 20 s) measures the dashboard's run page; `own` serves a minimal page, built from the same
 * sources with Vite, that loads the run, its history and graph through the API and draws the two
 * components alone. Prints one figure per line as `name value unit`; no pass/fail.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { flag, print } from './common.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const items = Number(flag('items') ?? 5000);
const pageMode = (flag('page') ?? 'auto') as 'auto' | 'run' | 'own';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Newest modification time under `dir` (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function ensureDashboardBuilt(): void {
  const index = join(repo, 'web/dist/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(repo, 'web/src'))) return;
  console.error('building the dashboard (web/dist is missing or older than web/src)');
  const r = spawnSync('npx', ['vite', 'build', 'web', '--logLevel', 'warn'], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the dashboard build failed');
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 4100 + Math.floor(Math.random() * 800);
    const free = await new Promise<boolean>((ok) => {
      const s = createServer();
      s.once('error', () => ok(false));
      s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 4100-4900');
}

function writeConfig(dir: string): string {
  const path = join(dir, 'baton.config.ts');
  const zod = import.meta.resolve('zod');
  const baton = `file://${join(repo, 'src/index.ts')}`;
  writeFileSync(
    path,
    `import { z } from '${zod}';
import { workflow } from '${baton}';

const quick = { initialDelayMs: 30, backoff: 2, maxDelayMs: 200, jitter: 0 };
export default {
  worker: { concurrency: 64 },
  workflows: [
    workflow({ name: 'fanout', version: '1', input: z.object({ items: z.number(), itemMs: z.number().default(0) }) })
      .step('prepare', { run: () => ({ batch: 1 }) })
      .step('audit', { needs: ['prepare'], run: () => 'logged' })
      .step('list', {
        needs: ['prepare'],
        retry: { ...quick, maxAttempts: 3 },
        run: ({ input, step }) => {
          if (step.attempt === 1) throw new Error('listing timed out');
          return Array.from({ length: input.items }, (_, i) => i);
        },
      })
      .map('process', {
        needs: ['list'],
        items: ({ steps }) => steps.list,
        concurrency: 64,
        maxItems: 20000,
        retry: { ...quick, maxAttempts: 3 },
        run: async (x, { step, input }) => {
          if (x % 250 === 7 && step.attempt === 1) throw new Error('item ' + x + ': upstream 503');
          if (input.itemMs > 0) await new Promise((r) => setTimeout(r, input.itemMs));
          return x * 2;
        },
      })
      .step('aggregate', { needs: ['process'], run: ({ steps }) => steps.process.length })
      .step('notify', { needs: ['aggregate', 'audit'], run: () => 'sent' })
      .build(),
  ],
};
`,
  );
  return path;
}

interface Server {
  url: string;
  secret: string;
  child: ChildProcess;
}

async function startServer(dir: string, config: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    'npx',
    [
      'tsx',
      'src/cli/main.ts',
      '--data-dir',
      join(dir, 'data'),
      '--config',
      config,
      '--json',
      'dev',
      '--port',
      String(port),
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  started.push(child);
  return new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`baton dev did not start in 60 s:\n${stderr}`)), 60_000);
    // `--json` prints the `listening` record as indented JSON: read its fields, not its lines.
    child.stdout?.on('data', (d) => {
      out += String(d);
      const url = /"url":\s*"([^"]+)"/.exec(out)?.[1];
      const secret = /"secret":\s*"([^"]+)"/.exec(out)?.[1];
      if (out.includes('"listening"') && url && secret) {
        clearTimeout(timer);
        ok({ url, secret, child });
      }
    });
    child.once('exit', (code) => fail(new Error(`baton dev exited with ${code}:\n${stderr}`)));
  });
}

async function api<T>(server: Server, path: string, body?: unknown): Promise<T> {
  const res = await fetch(server.url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${server.secret}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Records, from navigation start, when the first graph node and the first timeline row appear. */
const OBSERVE = `(() => {
  const marks = (window.__bench = {});
  const seen = () => {
    const now = performance.now();
    if (marks.graph === undefined && document.querySelector('[data-testid="graph-node"]')) marks.graph = now;
    if (marks.timeline === undefined && document.querySelector('[data-testid="timeline-row"]')) marks.timeline = now;
    if (marks.bar === undefined && document.querySelector('[data-testid="timeline-bar"]')) marks.bar = now;
    if (marks.graph === undefined || marks.timeline === undefined || marks.bar === undefined) requestAnimationFrame(seen);
  };
  requestAnimationFrame(seen);
})();`;

/** Expands the map's items, then scrolls through them one step a frame; times in ms. */
const EXPAND_AND_SCROLL = `(async () => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  const toggle = document.querySelector('[data-testid="timeline-row"][data-step-id="process"]:not([data-item]) [data-testid="timeline-toggle"]');
  if (!toggle) return { error: 'no toggle on the map row' };
  const t0 = performance.now();
  toggle.click();
  while (!document.querySelector('[data-testid="timeline-row"][data-item]')) await frame();
  await frame();
  const expandMs = performance.now() - t0;
  const scroller = document.querySelector('[data-testid="timeline-scroll"]');
  const steps = 120;
  const gaps = [];
  let last = await frame();
  const s0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    scroller.scrollTop = (scroller.scrollHeight - scroller.clientHeight) * (i / steps);
    const t = await frame();
    gaps.push(t - last);
    last = t;
  }
  const scrollMs = performance.now() - s0;
  gaps.sort((a, b) => a - b);
  const rowsInDom = document.querySelectorAll('[data-testid="timeline-row"]').length;
  const lastRow = [...document.querySelectorAll('[data-testid="timeline-row"][data-item]')].map((r) => Number(r.getAttribute('data-item'))).sort((a, b) => b - a)[0];
  return { expandMs, scrollMs, steps, p50: gaps[Math.floor(gaps.length / 2)], p95: gaps[Math.floor(gaps.length * 0.95)], max: gaps[gaps.length - 1], rowsInDom, lastRow };
})()`;

const OWN_PAGE_MAIN = (web: string) => `import { useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi } from '${web}/src/api/client';
import { DagGraph } from '${web}/src/components/graph/dag-graph';
import { buildRunModel, dagOfRun, loadRunHistory } from '${web}/src/views/run-detail/run-model';
import { Timeline } from '${web}/src/views/run-detail/timeline';
import '${web}/src/styles.css';

const q = new URLSearchParams(location.search);
const api = createApi(q.get('key') ?? '');
const id = q.get('run') ?? '';

async function load() {
  const run = await api.get(\`/v1/runs/\${id}\`);
  const [history, wf] = await Promise.all([loadRunHistory(api, id), api.get(\`/v1/workflows/\${run.workflow}\`)]);
  performance.mark('bench:loaded');
  const graph = wf.versions.find((v) => v.id === run.versionId)?.graph;
  const model = buildRunModel({ run, history, graph });
  performance.mark('bench:model');
  return model;
}

function App({ model }) {
  const [selected, setSelected] = useState();
  const dag = useMemo(() => dagOfRun(model), [model]);
  return (
    <div style={{ padding: 16, display: 'grid', gap: 16 }}>
      <DagGraph nodes={dag.nodes} edges={dag.edges} selected={selected} onSelect={setSelected} height={360} />
      <Timeline model={model} selected={selected} onSelect={setSelected} height={520} />
    </div>
  );
}

load().then((model) => createRoot(document.getElementById('root')).render(<App model={model} />));
`;

/** Builds the minimal page into a temp dir; returns the dir holding index.html and assets. */
async function buildOwnPage(dir: string): Promise<string> {
  const root = join(dir, 'page');
  const out = join(dir, 'page-dist');
  spawnSync('mkdir', ['-p', root]);
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body><div id="root"></div><script type="module" src="./main.jsx"></script></body></html>',
  );
  writeFileSync(join(root, 'main.jsx'), OWN_PAGE_MAIN(join(repo, 'web')));
  const { build } = await import('vite');
  const react = (await import('@vitejs/plugin-react')).default;
  await build({
    root,
    base: '/__bench/',
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    // The page sits in a temp dir: its own bare imports resolve from the repository.
    resolve: {
      alias: ['react-dom/client', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'react'].map((name) => ({
        find: new RegExp(`^${name}$`),
        replacement: fileURLToPath(import.meta.resolve(name)),
      })),
      dedupe: ['react', 'react-dom'],
    },
    build: { outDir: out, emptyOutDir: true },
  });
  return out;
}

async function routeOwnPage(page: Page, server: Server, dist: string): Promise<void> {
  await page.route(`${server.url}/__bench/**`, async (route) => {
    const path = new URL(route.request().url()).pathname.replace(/^\/__bench\//, '');
    const file = join(dist, path === '' || path === 'index.html' ? 'index.html' : path);
    await route.fulfill({ path: file });
  });
}

async function measure(page: Page, url: string, label: string): Promise<void> {
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(
    '(() => { const b = window.__bench; return b && b.graph !== undefined && b.timeline !== undefined && b.bar !== undefined; })()',
    undefined,
    { timeout: 120_000, polling: 200 },
  );
  const marks = (await page.evaluate(`(() => ({
    ...window.__bench,
    loaded: performance.getEntriesByName('bench:loaded')[0]?.startTime,
    model: performance.getEntriesByName('bench:model')[0]?.startTime,
    graphNodes: document.querySelectorAll('[data-testid="graph-node"]').length,
    timelineRows: document.querySelectorAll('[data-testid="timeline-row"]').length,
  }))()`)) as Record<string, number | undefined>;
  console.error(`${label}: measured in ${Date.now() - t0} ms wall`);
  print(`${label}.first_graph_node_ms`, marks.graph ?? Number.NaN, 'ms');
  print(`${label}.first_timeline_row_ms`, marks.timeline ?? Number.NaN, 'ms');
  print(`${label}.graph_and_timeline_ms`, Math.max(marks.graph ?? Number.NaN, marks.bar ?? Number.NaN), 'ms');
  if (marks.loaded !== undefined) print(`${label}.data_loaded_ms`, marks.loaded, 'ms');
  if (marks.model !== undefined && marks.loaded !== undefined)
    print(`${label}.model_build_ms`, marks.model - marks.loaded, 'ms');
  print(`${label}.graph_nodes_in_dom`, marks.graphNodes ?? 0, 'nodes');
  print(`${label}.timeline_rows_in_dom`, marks.timelineRows ?? 0, 'rows');
  const shot = flag('shot');
  if (shot) await page.screenshot({ path: shot.replace(/\.png$/, '-top.png'), fullPage: true });
  // Chromium's own accounting of the main thread during the expansion and the scroll: what the page
  // spent (script, style, layout) as opposed to time lost to a busy machine.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () =>
    Object.fromEntries(
      (
        (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }
      ).metrics.map((m) => [m.name, m.value]),
    ) as Record<string, number>;
  const before = await metrics();
  const scroll = (await page.evaluate(EXPAND_AND_SCROLL)) as Record<string, number | string>;
  const after = await metrics();
  const spent = (name: string) => ((after[name] ?? 0) - (before[name] ?? 0)) * 1000;
  print(`${label}.expand_and_scroll_script_ms`, spent('ScriptDuration'), 'ms');
  print(`${label}.expand_and_scroll_style_ms`, spent('RecalcStyleDuration'), 'ms');
  print(`${label}.expand_and_scroll_layout_ms`, spent('LayoutDuration'), 'ms');
  print(`${label}.expand_and_scroll_task_ms`, spent('TaskDuration'), 'ms');
  if (typeof scroll.error === 'string') {
    console.error(`${label}: ${scroll.error}`);
    return;
  }
  print(`${label}.expand_items_ms`, Number(scroll.expandMs), 'ms');
  print(`${label}.scroll_frame_p50_ms`, Number(scroll.p50), 'ms');
  print(`${label}.scroll_frame_p95_ms`, Number(scroll.p95), 'ms');
  print(`${label}.scroll_frame_max_ms`, Number(scroll.max), 'ms');
  print(`${label}.scroll_${scroll.steps}_steps_ms`, Number(scroll.scrollMs), 'ms');
  print(`${label}.rows_in_dom_after_scroll`, Number(scroll.rowsInDom), 'rows');
  print(`${label}.last_item_reached`, Number(scroll.lastRow), 'index');
}

/** Long tasks (main thread busy over 50 ms) seen by the page since it loaded. */
const LONG_TASKS = `(() => {
  const long = (window.__long = { count: 0, total: 0, max: 0 });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      long.count++;
      long.total += e.duration;
      long.max = Math.max(long.max, e.duration);
    }
  }).observe({ type: 'longtask', buffered: true });
})();`;

/**
 * A second run, followed live: its items take `--item-ms` each (default 25 ms, so the map runs for a
 * few seconds), and the page is opened as it is submitted. Measures how far the page lags behind the
 * run's end, and the long tasks the live updates cost the page meanwhile.
 */
async function measureLive(page: Page, server: Server): Promise<void> {
  const itemMs = Number(flag('item-ms') ?? 25);
  await page.context().addInitScript(LONG_TASKS);
  const submitted = await api<{ id: string }>(server, '/v1/runs', {
    workflow: 'fanout',
    input: { items, itemMs },
  });
  await page.goto(`${server.url}/runs/${submitted.id}`);
  const notify = page.locator('[data-testid=graph-node][data-step-id=notify]');
  await notify.waitFor({ timeout: 60_000 });
  let sawRunning = false;
  for (;;) {
    const status = await page
      .locator('[data-testid=graph-node][data-step-id=process]')
      .getAttribute('data-status');
    if (status === 'running') sawRunning = true;
    if ((await notify.getAttribute('data-status')) === 'succeeded') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const shownAt = Date.now();
  const run = await api<{ createdAt: number; finishedAt?: number }>(server, `/v1/runs/${submitted.id}`);
  const long = (await page.evaluate('window.__long')) as { count: number; total: number; max: number };
  print('live.item_ms', itemMs, 'ms');
  print('live.run_duration_ms', (run.finishedAt ?? shownAt) - run.createdAt, 'ms');
  print('live.saw_map_running', sawRunning ? 1 : 0, 'bool');
  print('live.page_lag_after_run_end_ms', shownAt - (run.finishedAt ?? shownAt), 'ms');
  print('live.long_tasks', long.count, 'tasks');
  print('live.long_tasks_total_ms', long.total, 'ms');
  print('live.long_task_max_ms', long.max, 'ms');
}

/** True when the run page draws a graph node and a timeline row within `ms`. */
async function runPageIsWired(page: Page, url: string, ms: number): Promise<boolean> {
  await page.goto(url);
  try {
    await page.waitForSelector('[data-testid="graph-node"]', { timeout: ms });
    await page.waitForSelector('[data-testid="timeline-row"]', { timeout: 2000 });
    return true;
  } catch {
    return false;
  }
}

/** Every server process started, stopped at the end whatever happened. */
const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'baton-bench-dashboard-'));
let server: Server | undefined;
let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
try {
  ensureDashboardBuilt();
  server = await startServer(dir, writeConfig(dir));
  const submitted = await api<{ id: string }>(server, '/v1/runs', { workflow: 'fanout', input: { items } });
  const started = Date.now();
  type RunState = { status: string; createdAt: number; finishedAt?: number };
  let run: RunState;
  for (;;) {
    run = await api<RunState>(server, `/v1/runs/${submitted.id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) break;
    if (Date.now() - started > 15 * 60_000) throw new Error('the run did not finish in 15 min');
    await new Promise((r) => setTimeout(r, 250));
  }
  console.error(`run ${submitted.id} ${run.status}`);
  const history = await api<{ data: unknown[] }>(server, `/v1/runs/${submitted.id}/history?limit=5000`);
  print('run.items', items, 'items');
  print('run.duration_ms', (run.finishedAt ?? Date.now()) - run.createdAt, 'ms');
  print('run.history_events_first_page', history.data.length, 'events');

  browser = await chromium.launch({
    executablePath: process.env.BATON_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  await context.addInitScript(OBSERVE);
  const page = await context.newPage();
  // Sign in once: the key rides in the fragment; the app keeps it for the next navigations.
  await page.goto(`${server.url}/#key=${server.secret}`);
  await page.waitForSelector('[data-testid="who"]', { timeout: 30_000 });

  const runUrl = `${server.url}/runs/${submitted.id}`;
  let mode = pageMode;
  if (mode === 'auto') {
    mode = (await runPageIsWired(page, runUrl, 20_000)) ? 'run' : 'own';
    if (mode === 'own') console.error('the run page draws no graph or timeline yet: measuring the own page');
  }
  if (mode === 'run') {
    await measure(page, runUrl, 'run_page');
  } else {
    const dist = await buildOwnPage(dir);
    await routeOwnPage(page, server, dist);
    await measure(
      page,
      `${server.url}/__bench/index.html?key=${encodeURIComponent(server.secret)}&run=${submitted.id}`,
      'own_page',
    );
  }
  if (flag('shot')) await page.screenshot({ path: flag('shot') as string, fullPage: true });
  if (mode === 'run' && flag('live') !== 'off') await measureLive(page, server);
} finally {
  await browser?.close();
  for (const child of started) {
    if (child.pid === undefined || child.exitCode !== null) continue;
    // The group: npx, tsx and the node process under them.
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  rmSync(dir, { recursive: true, force: true });
}
