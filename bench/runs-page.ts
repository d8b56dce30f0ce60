/**
 * Runs-list benchmark: how fast `GET /v1/runs` answers over a large SQLite store, through the real
 * HTTP app on a loopback socket (what the dashboard's runs list calls). It fills a store with
 * `--runs` runs (default 100,000) by submitting them through the engine with no worker (they stay
 * queued: the list reads the runs table, whatever their status), across two workflows and 100
 * customer tags, then times, sequentially:
 *
 * - the first page (50 runs, newest first);
 * - a filtered first page: one workflow and one tag (`customer:7`, one run in 100);
 * - page 50, by the cursor of page 49 (the cursors are collected by walking the pages first).
 *
 *   npx tsx bench/runs-page.ts                       # 100,000 runs, 200 requests per query
 *   npx tsx bench/runs-page.ts --runs 20000 --requests 50
 *
 * Prints one figure per line as `name value unit`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { workflow } from '../src/core/builder.js';
import { Baton } from '../src/runtime/baton.js';
import { openControlStore } from '../src/server/control/index.js';
import { startServer } from '../src/server/start-server.js';
import { flag, percentile, print } from './common.js';

const total = Number(flag('runs') ?? 100_000);
const requests = Number(flag('requests') ?? 200);
const PAGE = 50;

const dir = mkdtempSync(join(tmpdir(), 'baton-bench-runs-page-'));
// `normal` durability: the fill is setup, not what is measured.
const baton = await Baton.open({ dataDir: dir, durability: 'normal' });
const control = await openControlStore({ dataDir: dir });
try {
  for (const name of ['bench-orders', 'bench-refunds']) {
    await baton.register(
      workflow({ name, version: '1', input: z.object({ n: z.number() }) })
        .step('work', { run: (ctx) => ({ n: (ctx.input as { n: number }).n }) })
        .build(),
    );
  }
  const fillStart = performance.now();
  // Submits in small concurrent batches: the store serializes them, the batches keep it busy.
  const BATCH = 64;
  for (let i = 0; i < total; i += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(total, i + BATCH); j++) {
      batch.push(
        baton.submit(
          j % 5 === 0 ? 'bench-refunds' : 'bench-orders',
          { n: j },
          {
            tenant: 'bench',
            tags: [`customer:${j % 100}`],
          },
        ),
      );
    }
    await Promise.all(batch);
  }
  const fillMs = performance.now() - fillStart;
  console.log(`# filled ${total} runs in ${(fillMs / 1000).toFixed(1)} s`);
  print('runs_page_fill_rate', total / (fillMs / 1000), 'runs/s');

  const { secret } = await control.createKey({ tenant: 'bench', name: 'bench', roles: ['viewer'] });
  const server = await startServer({ baton, control, port: 0, services: false, api: { rateLimit: false } });
  try {
    const get = async (query: string) => {
      const res = await fetch(`${server.url}/v1/runs?${query}`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      if (!res.ok) throw new Error(`GET /v1/runs?${query}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { data: { id: string }[]; next_cursor: string | null };
    };

    // The cursor of page 50: walk 49 pages.
    let cursor: string | null = null;
    for (let p = 1; p < 50; p++) {
      const page = await get(`limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`);
      cursor = page.next_cursor;
      if (!cursor) throw new Error(`only ${p} pages of runs: fill more runs`);
    }

    const cases: [name: string, query: string, expect: number][] = [
      ['first_page', `limit=${PAGE}`, PAGE],
      ['filtered_page', `limit=${PAGE}&workflow=bench-orders&tag=customer:7`, Math.min(PAGE, total / 100)],
      ['page_50', `limit=${PAGE}&cursor=${cursor}`, PAGE],
    ];
    for (const [name, query, expected] of cases) {
      // A few requests first, so that the figures are not those of a cold statement cache.
      for (let i = 0; i < 5; i++) await get(query);
      const times: number[] = [];
      for (let i = 0; i < requests; i++) {
        const start = performance.now();
        const page = await get(query);
        times.push(performance.now() - start);
        if (page.data.length !== expected)
          throw new Error(`${name}: ${page.data.length} runs, expected ${expected}`);
      }
      times.sort((a, b) => a - b);
      print(`runs_page_${name}_p50`, percentile(times, 50), 'ms');
      print(`runs_page_${name}_p99`, percentile(times, 99), 'ms');
    }
  } finally {
    await server.close();
  }
} finally {
  await baton.close();
  await control.close();
  rmSync(dir, { recursive: true, force: true });
}
