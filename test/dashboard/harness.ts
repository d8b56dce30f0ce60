/**
 * End-to-end tests of the web dashboard: one real `baton dev` process (the CLI, on a temporary data
 * directory, with the built-in examples) and one headless chromium per test file, driven by
 * playwright-core. `useDashboard()` registers the hooks that start and stop both.
 *
 * Without a chromium (`BATON_CHROMIUM`, else `chromium` on the PATH) the file's tests skip with one
 * line saying why; with `BATON_TEST_BROWSER=require` (CI) they fail instead.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page, type Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(root, 'test-artifacts/dashboard');

/** The flags every dashboard test launches chromium with (the brief's list). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface DashboardOptions {
  /** Start with `--demo`: one run of each example workflow submitted at start. */
  demo?: boolean;
  /** A `baton.config.ts` to use instead of the built-in examples. */
  config?: string;
}

/** An answer of the API other than 2xx. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'HttpError';
  }
}

/** A small client of the public API, authenticated with one key. */
export interface ApiClient {
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
}

export interface Dashboard {
  /** The server's address, without a trailing slash (`http://127.0.0.1:<port>`). */
  readonly url: string;
  /** The first admin key printed by `baton dev`. */
  readonly adminKey: string;
  /** Creates a key with `roles` in the default tenant (through `POST /v1/keys`) and returns its secret. */
  keyFor(roles: string[], name?: string): Promise<string>;
  /** A new browser context and page, signed in with `key` (the admin key by default), nav shown. */
  page(key?: string): Promise<Page>;
  /** A new browser context and page, not signed in, on nothing yet. */
  blankPage(): Promise<Page>;
  /** An API client with `key` (the admin key by default). */
  api(key?: string): ApiClient;
  /** Saves a full-page screenshot to `test-artifacts/dashboard/<name>.png`. */
  shot(page: Page, name: string): Promise<void>;
  /** Polls `check` until it returns something other than undefined, null or false. */
  waitFor<T>(
    check: () => Promise<T> | T,
    what: string,
    timeoutMs?: number,
  ): Promise<Exclude<T, undefined | null | false>>;
}

interface Listening {
  event: 'listening';
  url: string;
  firstKey?: { prefix: string; tenant: string; secret: string };
}

/** The chromium to use, or why there is none. */
function findChromium(): { path: string } | { missing: string } {
  const env = process.env.BATON_CHROMIUM;
  if (env) {
    return existsSync(env) ? { path: env } : { missing: `BATON_CHROMIUM=${env} does not exist` };
  }
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  return found ? { path: found } : { missing: 'no chromium on the PATH and BATON_CHROMIUM is not set' };
}

/**
 * Starts a real `baton dev` and a chromium for the tests of the calling file (beforeAll), and stops
 * both after them (afterAll). Call it once, at the top level of a test file.
 */
export function useDashboard(options: DashboardOptions = {}): Dashboard {
  const browserPath = findChromium();
  if ('missing' in browserPath) {
    const reason = `dashboard tests skipped: ${browserPath.missing} (install chromium, or point BATON_CHROMIUM at one)`;
    if (process.env.BATON_TEST_BROWSER === 'require') {
      beforeAll(() => {
        throw new Error(
          `${reason.replace('skipped', 'cannot run')}; BATON_TEST_BROWSER=require forbids skipping.`,
        );
      });
    } else {
      beforeAll(() => console.warn(reason));
      beforeEach((ctx) => ctx.skip(reason));
    }
    return unavailable(reason);
  }

  let dataDir = '';
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  let listening: Listening | undefined;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    // The server mounts web/dist only if it is there when it starts: a rebuild running at that moment
    // (`npm run build:web` empties the folder first) leaves it without a dashboard. Start again then.
    for (let attempt = 1; ; attempt++) {
      await waitFor(dashboardComplete, 'web/dist to hold a complete build (is a rebuild running?)', 60_000);
      dataDir = mkdtempSync(join(tmpdir(), 'baton-dashboard-'));
      const started = await startServer(dataDir, options);
      server = started.child;
      listening = started.listening;
      if (await servesDashboard(listening.url)) break;
      await stopProcess(server);
      rmSync(dataDir, { recursive: true, force: true });
      if (attempt === 3) throw new Error('baton dev started three times without web/dist to serve');
    }
    browser = await chromium.launch({ executablePath: browserPath.path, args: CHROMIUM_ARGS });
  }, 180_000);

  // A failed test leaves a screenshot of each page it opened, for the CI log to point at.
  let firstOfTest = 0;
  beforeEach(() => {
    firstOfTest = contexts.length;
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80);
    const pages = contexts
      .slice(firstOfTest)
      .flatMap((c) => c.pages())
      .filter((p) => !p.isClosed());
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [i, page] of pages.entries()) {
      await page
        .screenshot({ path: join(ARTIFACTS, `failed-${name}-${i + 1}.png`), fullPage: true, timeout: 5_000 })
        .catch(() => undefined);
    }
  });

  afterAll(async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopProcess(server);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const ready = (): Listening => {
    if (!listening) throw new Error('the dashboard harness is not started (use it inside tests)');
    return listening;
  };
  const adminKey = () => {
    const key = ready().firstKey?.secret;
    if (!key) throw new Error('baton dev printed no first admin key: the data directory was not fresh');
    return key;
  };
  const api = (key?: string) => apiClient(ready().url, key ?? adminKey());
  const blankPage = async () => {
    if (!browser) throw new Error('the browser is not started');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    await context.route((url) => isDashboardFile(url, ready().url), retryWhileRebuilt);
    return context.newPage();
  };

  return {
    get url() {
      return ready().url;
    },
    get adminKey() {
      return adminKey();
    },
    async keyFor(roles, name) {
      const created = await api().post<{ secret: string }>('/v1/keys', {
        name: name ?? `test ${roles.join('+')}`,
        roles,
      });
      return created.secret;
    },
    async page(key) {
      const page = await blankPage();
      await page.goto(`${ready().url}/`);
      await page.fill('input[name=key]', key ?? adminKey());
      await page.click('form button[type=submit]');
      await page.waitForSelector('nav[aria-label=Main]', { timeout: 30_000 });
      return page;
    },
    blankPage,
    api,
    async shot(page, name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    waitFor,
  };
}

/** What `useDashboard` returns when the tests skip: any use says why. */
function unavailable(reason: string): Dashboard {
  const fail = (): never => {
    throw new Error(reason);
  };
  return {
    get url() {
      return fail();
    },
    get adminKey() {
      return fail();
    },
    keyFor: fail,
    page: fail,
    blankPage: fail,
    api: fail,
    shot: fail,
    waitFor,
  };
}

/** Polls `check` every 100 ms until it returns a value (not undefined, null or false). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) {
        return value as Exclude<T, undefined | null | false>;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function apiClient(base: string, key: string): ApiClient {
  async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) {
      let error: { code?: string; message?: string; hint?: string } = {};
      try {
        error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
      } catch {
        // Not the API's error document: keep the status.
      }
      throw new HttpError(res.status, error.code ?? `HTTP_${res.status}`, error.message ?? text, error.hint);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return {
    get: (path) => send('GET', path),
    post: (path, body) => send('POST', path, body ?? {}),
  };
}

/**
 * Builds `web/dist` when it is missing (CI builds it with `npm run build` first). Test files run in
 * parallel: a lock directory makes one of them build while the others wait for `index.html`.
 */
async function ensureDashboardBuilt(): Promise<void> {
  const index = join(root, 'web/dist/index.html');
  if (existsSync(index)) return;
  const lock = join(
    tmpdir(),
    `baton-web-build-${createHash('sha1').update(root).digest('hex').slice(0, 12)}`,
  );
  const stale = () => {
    try {
      return Date.now() - statSync(lock).mtimeMs > 120_000;
    } catch {
      return false;
    }
  };
  if (stale()) rmSync(lock, { recursive: true, force: true });
  let mine = false;
  try {
    mkdirSync(lock);
    mine = true;
  } catch {
    // Another test file is building.
  }
  if (!mine) {
    await waitFor(
      () => existsSync(index) || !existsSync(lock),
      'another test file to build web/dist',
      120_000,
    );
    if (existsSync(index)) return;
    return ensureDashboardBuilt();
  }
  try {
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const built = spawnSync(npx, ['vite', 'build', 'web', '--logLevel', 'warn'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (built.status !== 0 || !existsSync(index)) {
      throw new Error(`npx vite build web failed (${built.status}):\n${built.stderr}${built.stdout}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Paths the API owns (as in src/server/app/dashboard.ts): everything else is the dashboard's. */
const API_PREFIXES = ['/v1/', '/metrics', '/openapi.json', '/reference', '/healthz', '/readyz'];

function isDashboardFile(url: URL, base: string): boolean {
  return url.origin === base && !API_PREFIXES.some((p) => url.pathname === p || url.pathname.startsWith(p));
}

/**
 * The dashboard's page and assets, fetched through the real server; while web/dist is being rebuilt
 * (by `npm run build:web` beside the tests: the folder is emptied first) the server answers 404, and
 * the request is tried again until the build is back. The API's own requests are never touched.
 */
async function retryWhileRebuilt(route: Route): Promise<void> {
  const request = route.request();
  if (request.resourceType() !== 'document' && !new URL(request.url()).pathname.startsWith('/assets/')) {
    return route.continue().catch(() => undefined);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await route.fetch().catch(() => undefined);
    if (!response) return route.abort().catch(() => undefined);
    if (response.status() !== 404 || Date.now() > deadline) {
      return route.fulfill({ response }).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when web/dist has an index.html and every asset it names. */
function dashboardComplete(): boolean {
  const dist = join(root, 'web/dist');
  let html: string;
  try {
    html = readFileSync(join(dist, 'index.html'), 'utf8');
  } catch {
    return false;
  }
  const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] as string);
  return assets.length > 0 && assets.every((a) => existsSync(join(dist, a)));
}

async function servesDashboard(url: string): Promise<boolean> {
  const res = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
  return res.ok && (await res.text()).includes('id="root"');
}

/** Starts `baton dev --port 0 --json` and reads its `listening` document. */
async function startServer(
  dataDir: string,
  options: DashboardOptions,
): Promise<{ child: ChildProcess; listening: Listening }> {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    ...(options.config ? ['--config', options.config] : []),
    '--data-dir',
    dataDir,
    'dev',
    '--port',
    '0',
    '--json',
    ...(options.demo ? ['--demo'] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: hermeticEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited (${code ?? signal})`;
  });
  try {
    const listening = await waitFor(
      () => {
        if (exited) return { exited };
        // Pretty-printed JSON: the first document ends at the first line that is a lone `}`.
        const end = stdout.search(/^\}$/m);
        return end < 0 ? undefined : (JSON.parse(stdout.slice(0, end + 1)) as Listening);
      },
      'baton dev to listen',
      60_000,
    );
    if ('exited' in listening) throw new Error(`baton dev ${listening.exited} before listening`);
    return { child, listening };
  } catch (err) {
    await stopProcess(child);
    throw new Error(`${(err as Error).message}\nstderr:\n${stderr}`);
  }
}

/**
 * The server's environment: the test's, without what would point it elsewhere than its temporary
 * data directory (a developer's Postgres) or at paid models (provider keys: the examples then answer
 * from the offline model).
 */
function hermeticEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', BATON_DEBUG: '' };
  for (const name of [
    'BATON_DATABASE_URL',
    'BATON_DATA_DIR',
    'BATON_PORT',
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    'GEMINI_API_KEY',
    'GOOGLE_GENERATIVE_AI_API_KEY',
  ]) {
    delete env[name];
  }
  return env;
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await closed;
  clearTimeout(timer);
}
