/**
 * The API benchmark's server process: an engine on SQLite in a temp dir, the control store beside
 * it, one small workflow, an operator key, and the API server on a loopback port. With `--worker`, a
 * worker runs in the same process, as in `baton dev`. Reports `{ ready: { url, secret } }`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { workflow } from '../src/core/builder.js';
import { Baton } from '../src/runtime/baton.js';
import { openControlStore } from '../src/server/control/index.js';
import { startServer } from '../src/server/start-server.js';

const withWorker = process.argv.includes('--worker');
const durability = process.argv.includes('--durability=normal') ? 'normal' : 'full';
const dir = mkdtempSync(join(tmpdir(), 'baton-bench-api-'));
const baton = await Baton.open({ dataDir: dir, durability });
const control = await openControlStore({ dataDir: dir });
await baton.register(
  workflow({ name: 'bench-order', version: '1', input: z.object({ order: z.string(), amount: z.number() }) })
    .step('price', { run: (ctx) => ({ total: (ctx.input as { amount: number }).amount * 1.2 }) })
    .build(),
);
const { secret } = await control.createKey({ tenant: 'bench', name: 'bench', roles: ['operator'] });
const worker = withWorker ? baton.worker({ concurrency: 50 }) : undefined;
// The per-key rate limit would turn most of the load into 429s: the benchmark measures acceptance.
const server = await startServer({ baton, control, port: 0, services: false, api: { rateLimit: false } });
process.send?.({ ready: { url: server.url, secret } });

process.on('SIGTERM', () => {
  void (async () => {
    await server.close();
    await worker?.stop(1000);
    await baton.close();
    await control.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
