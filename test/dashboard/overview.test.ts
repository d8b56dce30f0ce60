/**
 * The overview end to end on a real `baton dev`: the empty state of a fresh install, then, after runs
 * of the invoice example that succeed and runs that fail with `VENDOR_BLOCKED`, the right counts and
 * success rate, the error listed by type, and the failing runs listed with links to their pages.
 */
import { expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard();

/** An invoice of the example workflow; the vendor `acme-fraud` is blocked (the run fails). */
function invoice(id: string, vendor: string) {
  return { invoiceId: id, vendor, lines: [{ sku: 'CABLE-C', quantity: 2, unitPrice: 12.5 }] };
}

it('shows a fresh install’s empty state, then the counts, rate and failures of finished runs', async () => {
  const page = await d.page(await d.keyFor(['viewer']));
  await page.goto(`${d.url}/`);
  await page.waitForSelector('[data-testid=overview-empty]');
  expect(await page.textContent('[data-testid=kpi-success-value]')).toBe('–');
  expect(await page.textContent('[data-testid=failing-runs]')).toContain('No run failed in the last hour');
  await d.shot(page, 'overview-empty');

  const api = d.api();
  const submit = async (input: unknown) =>
    (await api.post<{ id: string }>('/v1/runs', { workflow: 'invoice-processing', input })).id;
  const ok = [await submit(invoice('INV-1', 'northwind')), await submit(invoice('INV-2', 'contoso'))];
  const failed = [
    await submit(invoice('INV-3', 'acme-fraud')),
    await submit(invoice('INV-4', 'acme-fraud')),
    await submit(invoice('INV-5', 'acme-fraud')),
  ];
  for (const id of [...ok, ...failed]) {
    await d.waitFor(async () => {
      const run = await api.get<{ status: string }>(`/v1/runs/${id}`);
      return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run.status : undefined;
    }, `run ${id} to finish`);
  }
  const statuses = await Promise.all(
    [...ok, ...failed].map(async (id) => (await api.get<{ status: string }>(`/v1/runs/${id}`)).status),
  );
  expect(statuses).toEqual(['succeeded', 'succeeded', 'failed', 'failed', 'failed']);

  await page.reload();
  await page.waitForSelector('[data-testid=failing-run]');
  expect(await page.locator('[data-testid=overview-empty]').count()).toBe(0);
  expect(await page.textContent('[data-testid=kpi-success-counts]')).toBe(
    '5 finished: 2 succeeded, 3 failed, 0 cancelled',
  );
  expect(await page.textContent('[data-testid=kpi-success-value]')).toBe('40.0%');
  expect(await page.getAttribute('[data-testid=kpi-success-value]', 'class')).toContain('kpi-red');
  expect(await page.textContent('[data-testid=kpi-errors-value]')).toBe('60.0%');

  const byType = page.locator('[data-testid=error-type]');
  expect(await byType.count()).toBe(1);
  expect(await byType.getAttribute('data-code')).toBe('VENDOR_BLOCKED');
  expect(await byType.locator('td.num').textContent()).toBe('3');
  expect(await byType.locator('a').first().getAttribute('href')).toBe('/runs?status=failed&window=1h');

  const listed = await page.$$eval('[data-testid=failing-run]', (rows) =>
    rows.map((r) => r.getAttribute('data-run-id')),
  );
  expect([...listed].sort()).toEqual([...failed].sort());
  expect(await page.textContent(`[data-run-id="${failed[0]}"]`)).toContain('VENDOR_BLOCKED');

  // The runs chart shows the values of the bucket under the pointer. The runs finished within
  // seconds: in the last bucket, or the last two when a minute began meanwhile.
  const chart = page.locator('[data-testid=chart-runs]');
  const box = await chart.locator('svg').boundingBox();
  const buckets = Number(await chart.getAttribute('data-buckets'));
  const shown = { succeeded: 0, failed: 0, started: 0 };
  for (const i of [buckets - 2, buckets - 1]) {
    if (!box) break;
    const slot = (box.width - 58) / buckets; // the chart's left and right padding: 48 + 10
    await page.mouse.move(box.x + 48 + (i + 0.5) * slot, box.y + box.height / 2);
    const tip =
      (await (
        await page.waitForSelector(`[data-testid=chart-runs-tip][data-bucket="${i}"]`)
      ).textContent()) ?? '';
    for (const k of ['succeeded', 'failed', 'started'] as const) {
      shown[k] += Number(new RegExp(`${k}\\s*(\\d+)`).exec(tip)?.[1] ?? Number.NaN);
    }
  }
  expect(shown).toEqual({ succeeded: 2, failed: 3, started: 5 });
  await d.shot(page, 'overview');

  // The window selector refetches: the 24 h window holds the same runs, in 30-minute buckets.
  await page.click('[data-testid=overview-window] >> text=24 h');
  await page.waitForURL(`${d.url}/?window=24h`);
  await d.waitFor(
    async () => (await page.textContent('[data-testid=overview-body]'))?.includes('buckets of 30 min'),
    'the 24 h window',
  );
  expect(await page.textContent('[data-testid=kpi-success-counts]')).toBe(
    '5 finished: 2 succeeded, 3 failed, 0 cancelled',
  );
  await d.shot(page, 'overview-24h');

  const target = failed[0] as string;
  await page.click(`[data-run-id="${target}"] a[href="/runs/${target}"]`);
  await page.waitForURL(`${d.url}/runs/${target}`);
  await page.waitForSelector(`text=${target}`);
});
