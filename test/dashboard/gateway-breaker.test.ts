/**
 * The gateway view when a target fails: a run's model call falls back from an unreachable upstream,
 * whose breaker the view then shows open, with the failure and when a trial call is let through.
 */
import { expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard({
  config: new URL('./fixtures/failing-gateway.config.ts', import.meta.url).pathname,
});

it('shows the breaker of a failing target open, and the call that fell back', async () => {
  const api = d.api();
  const run = await api.post<{ id: string }>('/v1/runs', {
    workflow: 'invoice-triage',
    input: {
      document: 'INVOICE Invoice No.: INV-0457 from Blue Bottle Office Supplies Ltd. Amount due (EUR) 86.40',
    },
  });
  await d.waitFor(async () => {
    const page = await api.get<{ data: Array<{ route: string; fallbacks: number }> }>(
      `/v1/gateway/requests?run=${run.id}&model=router`,
    );
    return page.data.some((r) => r.fallbacks === 1);
  }, 'a router call that fell back');

  const page = await d.page();
  await page.goto(`${d.url}/gateway`);
  const breaker = page.locator('[data-testid=breaker][data-model="down/gpt-4o-mini"]');
  await breaker.waitFor();
  expect(await breaker.locator('[data-status]').getAttribute('data-status')).toBe('open');
  const text = await breaker.textContent();
  expect(text).toContain('1 / 1 failure');
  expect(text).toContain('PROVIDER_CONNECTION');
  expect(text).toContain('trial call in');
  expect(
    await page
      .locator('[data-testid=breaker][data-model="offline/router"] [data-status]')
      .getAttribute('data-status'),
  ).toBe('closed');
  await d.shot(page, 'gateway-breaker-open');
});
