/**
 * The run page's graph and timeline in a browser, on a run followed live: the graph shows a step
 * waiting, then the map's items counted on one node as they run; the timeline shows each retry as its
 * own bar, expands the map's items (virtualized: only the rows in view are in the page), and the graph
 * pans, zooms and selects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const ITEMS = 400;
const dir = mkdtempSync(join(tmpdir(), 'baton-graph-timeline-'));
const config = join(dir, 'baton.config.ts');
writeFileSync(
  config,
  `import { z } from '${import.meta.resolve('zod')}';
import { workflow } from '${new URL('../../src/index.ts', import.meta.url).href}';

const quick = { initialDelayMs: 20, backoff: 2, maxDelayMs: 100, jitter: 0 };
export default {
  workflows: [
    workflow({ name: 'fan', version: '1', input: z.object({ items: z.number() }) })
      .step('prepare', { run: () => 1 })
      .wait('gate', { needs: ['prepare'], event: ({ run }) => 'go-' + run.id })
      .step('list', {
        needs: ['gate'],
        retry: { ...quick, maxAttempts: 3 },
        run: ({ input, step }) => {
          if (step.attempt === 1) throw new Error('listing timed out');
          return Array.from({ length: input.items }, (_, i) => i);
        },
      })
      .map('process', {
        needs: ['list'],
        items: ({ steps }) => steps.list,
        concurrency: 8,
        retry: { ...quick, maxAttempts: 3 },
        run: async (x, { step }) => {
          if (x === 3 && step.attempt === 1) throw new Error('item 3: upstream 503');
          await new Promise((r) => setTimeout(r, 2));
          return x;
        },
      })
      .step('report', { needs: ['process'], run: ({ steps }) => steps.process.length })
      .build(),
  ],
};
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const d = useDashboard({ config: fileURLToPath(new URL(`file://${config}`)) });

const node = (page: Page, id: string) => page.locator(`[data-testid=graph-node][data-step-id="${id}"]`);
const row = (page: Page, id: string) =>
  page.locator(`[data-testid=timeline-row][data-step-id="${id}"]:not([data-item])`);

async function transform(page: Page): Promise<string> {
  return page.evaluate(
    "document.querySelector('[data-testid=dag-graph] svg > g')?.getAttribute('transform') ?? ''",
  ) as Promise<string>;
}

describe('run graph and timeline', () => {
  it('follow a run live, then show its retries, its items and their attempts', async () => {
    const run = await d.api().post<{ id: string }>('/v1/runs', { workflow: 'fan', input: { items: ITEMS } });
    const page = await d.page();
    await page.goto(`${d.url}/runs/${run.id}`);

    // Live: the gate waits for its event, the steps after it have not started.
    await d.waitFor(
      async () => (await node(page, 'gate').getAttribute('data-status')) === 'waiting',
      'the gate to show waiting',
    );
    expect(await node(page, 'report').getAttribute('data-status')).toBe('pending');
    expect(await row(page, 'gate').getAttribute('data-status')).toBe('waiting');
    await d.shot(page, 'run-graph-timeline-waiting');

    await d.api().post('/v1/events', { key: `go-${run.id}`, payload: {} });
    // The page follows the stream to the end without a reload.
    await d.waitFor(
      async () => (await node(page, 'report').getAttribute('data-status')) === 'succeeded',
      'the last step to show succeeded, live',
      60_000,
    );
    for (const id of ['prepare', 'gate', 'list', 'process', 'report'])
      expect(await node(page, id).getAttribute('data-status')).toBe('succeeded');
    // The map's items are one node, with their count.
    expect(await node(page, 'process').textContent()).toContain('400 items');

    // Each attempt of `list` is its own bar: the failed one, then the retry.
    const listBars = row(page, 'list').locator('[data-testid=timeline-bar]');
    expect(await listBars.evaluateAll((bars) => bars.map((b) => b.getAttribute('data-status')))).toEqual([
      'failed',
      'succeeded',
    ]);
    expect(await listBars.first().getAttribute('title')).toContain('listing timed out');
    expect(await listBars.nth(1).getAttribute('title')).toMatch(/backoff .*\n.*queue delay/s);
    // The wait is drawn on the gate's row.
    expect(await row(page, 'gate').locator('.tl-wait').count()).toBe(1);

    // Items stay folded under their map step until expanded; then only the rows in view are drawn.
    expect(await page.locator('[data-testid=timeline-row][data-item]').count()).toBe(0);
    await row(page, 'process').getByTestId('timeline-toggle').click();
    await page.locator('[data-testid=timeline-row][data-item="0"]').waitFor();
    const drawn = await page.locator('[data-testid=timeline-row]').count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(100);
    const item3 = page.locator('[data-testid=timeline-row][data-step-id=process][data-item="3"]');
    expect(
      await item3
        .locator('[data-testid=timeline-bar]')
        .evaluateAll((b) => b.map((x) => x.getAttribute('data-status'))),
    ).toEqual(['failed', 'succeeded']);
    // Zooming the time axis to one item makes its bars wide; "Whole run" zooms back out.
    await item3.click();
    await page.getByRole('button', { name: 'Zoom to item 3' }).click();
    const barWidth = async () =>
      (await item3.locator('[data-testid=timeline-bar]').last().boundingBox())?.width ?? 0;
    await d.waitFor(async () => (await barWidth()) > 100, 'the zoomed bar to be wide');
    const zoomed = await barWidth();
    await d.shot(page, 'run-graph-timeline-zoomed');
    // The whole run (its wait at the gate included) is much longer than item 3's attempts.
    await page.getByTestId('timeline-whole-run').click();
    await d.waitFor(async () => (await barWidth()) < zoomed * 0.75, 'the bar to be narrower again');

    await page.getByTestId('timeline-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.locator(`[data-testid=timeline-row][data-item="${ITEMS - 1}"]`).waitFor();
    await d.shot(page, 'run-graph-timeline-items');
  });

  it('the graph pans, zooms and selects; a drag is not a click', async () => {
    const run = await d.api().post<{ id: string }>('/v1/runs', { workflow: 'fan', input: { items: 3 } });
    const page = await d.page();
    await page.goto(`${d.url}/runs/${run.id}`);
    await node(page, 'gate').waitFor();

    await node(page, 'list').click();
    await d.waitFor(
      async () => (await node(page, 'list').getAttribute('aria-pressed')) === 'true',
      'list selected',
    );

    // The timeline follows the selection, and arrow keys move it from row to row.
    expect(await row(page, 'list').getAttribute('aria-pressed')).toBe('true');
    await row(page, 'list').focus();
    await page.keyboard.press('ArrowDown');
    await d.waitFor(
      async () => (await row(page, 'process').getAttribute('aria-pressed')) === 'true',
      'the next row selected',
    );
    await d.waitFor(
      async () => (await node(page, 'process').getAttribute('aria-pressed')) === 'true',
      'its node selected in the graph',
    );

    const before = await transform(page);
    const box = (await page.getByTestId('dag-graph').boundingBox()) as {
      x: number;
      y: number;
      width: number;
    };
    await page.mouse.move(box.x + box.width / 2, box.y + 60);
    await page.mouse.wheel(0, -400);
    const zoomed = await transform(page);
    expect(zoomed).not.toBe(before);
    expect(Number(/scale\(([\d.]+)\)/.exec(zoomed)?.[1])).toBeGreaterThan(
      Number(/scale\(([\d.]+)\)/.exec(before)?.[1]),
    );

    // A drag (here from the middle of the view, where the zoom put a node) moves the view and
    // selects nothing.
    const from = { x: box.x + box.width / 2, y: box.y + 60 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 120, from.y + 40, { steps: 5 });
    await page.mouse.up();
    expect(await transform(page)).not.toBe(zoomed);
    expect(await node(page, 'process').getAttribute('aria-pressed')).toBe('true');

    await page.getByRole('button', { name: 'Fit' }).click();
    expect(await transform(page)).toBe(before);
  });
});
