/**
 * The gateway view end to end: a real `baton dev` with the agent examples (their `llm` steps call the
 * server's gateway, on the offline model), a run whose model calls must appear in the request log
 * with a link to the run, the default routes with closed breakers, and what a viewer sees.
 */
import { expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard({
  config: new URL('../../examples/agents/baton.config.ts', import.meta.url).pathname,
});

interface Requests {
  data: Array<{ route: string; target?: string; status: string; runId?: string; stepId?: string }>;
}

const INVOICE = 'INVOICE Invoice No.: INV-0457 from Blue Bottle Office Supplies Ltd. Amount due (EUR) 86.40';

it('lists the default routes and shows the model calls of a run, linked to it', async () => {
  const api = d.api();
  const run = await api.post<{ id: string }>('/v1/runs', {
    workflow: 'invoice-triage',
    input: { document: INVOICE },
  });
  const calls = await d.waitFor(async () => {
    const page = await api.get<Requests>(`/v1/gateway/requests?run=${run.id}`);
    return page.data.length >= 2 && page.data;
  }, "the run's model calls in the request log");
  expect(calls.every((c) => c.status === 'ok' && c.target?.startsWith('offline/'))).toBe(true);

  const page = await d.page();
  await page.click('nav >> text=Gateway');
  await page.waitForSelector('[data-testid=gateway-route]');
  const aliases = await page.$$eval('[data-testid=gateway-route]', (rows) =>
    rows.map((r) => r.getAttribute('data-alias')),
  );
  expect(aliases).toEqual(['fast', 'smart', 'router']);
  const breakers = await page.$$eval('[data-testid=breaker] [data-status]', (els) =>
    els.map((e) => e.getAttribute('data-status')),
  );
  expect(breakers).toEqual(['closed', 'closed', 'closed']);
  expect(await page.textContent('[data-testid=gateway-offline]')).toContain('offline model');

  // The run's calls, newest first, each linking to the run.
  const row = page.locator(`[data-testid=gateway-request]:has(a[href="/runs/${run.id}"])`);
  await row.first().waitFor();
  expect(await row.count()).toBe(calls.length);
  expect(await row.first().getAttribute('data-route')).toBe(calls[0]?.route);
  expect(await row.first().textContent()).toContain(calls[0]?.stepId ?? '');
  await d.shot(page, 'gateway');

  // Filters: no call failed, so the error filter shows the empty state.
  await page.selectOption('[data-testid=requests-status]', 'error');
  await page.waitForSelector('[data-testid=gateway-requests-empty]');
  expect(await page.textContent('[data-testid=gateway-requests-empty]')).toContain('No calls match');
  await page.selectOption('[data-testid=requests-status]', '');
  await page.selectOption('[data-testid=requests-model]', 'router');
  await d.waitFor(async () => {
    const routes = await page.$$eval('[data-testid=gateway-request]', (rows) =>
      rows.map((r) => r.getAttribute('data-route')),
    );
    return routes.length > 0 && routes.every((r) => r === 'router');
  }, 'only router calls listed');

  // A run's calls by address, as a link from elsewhere would show them.
  await page.goto(`${d.url}/gateway?run=${run.id}`);
  await page.waitForSelector('[data-testid=requests-run]');
  await d.waitFor(
    async () => (await page.locator('[data-testid=gateway-request]').count()) === calls.length,
    "only the run's calls listed",
  );

  // The keys card: the admin sees it, with its empty state (dev creates no gateway key).
  expect(await page.textContent('[data-testid=gateway-keys-empty]')).toContain('baton gateway keys create');

  await page.locator(`a[href="/runs/${run.id}"]`).first().click();
  await page.waitForURL(`**/runs/${run.id}`);
});

it('shows a viewer routes and requests, but not the keys', async () => {
  const page = await d.page(await d.keyFor(['viewer']));
  await page.click('nav >> text=Gateway');
  await page.waitForSelector('[data-testid=gateway-route]');
  await page.waitForSelector('[data-testid=gateway-request], [data-testid=gateway-requests-empty]');
  expect(await page.locator('text=Keys and budgets').count()).toBe(0);
  await d.shot(page, 'gateway-viewer');
});
