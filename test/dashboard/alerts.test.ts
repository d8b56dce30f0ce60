/**
 * The alerts view end to end: a real `baton dev` (which runs the default alert rules) lists the five
 * default rules with their condition in words and their state.
 */
import { expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard();

const DEFAULT_RULES = [
  'success-rate',
  'run-duration-p95',
  'tokens-p95',
  'model-error-rate',
  'run-cost-outlier',
];

it('lists the default rules, each with its condition and state', async () => {
  const api = await d.api().get<{ data: Array<{ id: string }> }>('/v1/alerts');
  expect(api.data.map((r) => r.id).sort()).toEqual([...DEFAULT_RULES].sort());

  const page = await d.page(await d.keyFor(['viewer']));
  await page.click('nav >> text=Alerts');
  await page.waitForSelector('[data-testid=alert-rule]');
  const ids = await page.$$eval('[data-rule-id]', (els) => els.map((e) => e.getAttribute('data-rule-id')));
  expect([...ids].sort()).toEqual([...DEFAULT_RULES].sort());
  const states = await page.$$eval('[data-testid=alert-rule-state] [data-status]', (els) =>
    els.map((e) => e.getAttribute('data-status')),
  );
  expect(states).toHaveLength(5);
  for (const state of states) expect(['ok', 'firing']).toContain(state);
  const conditions = await page.$$eval('[data-testid=alert-condition]', (els) =>
    els.map((e) => e.textContent),
  );
  expect(conditions).toContain('Success rate of finished runs below 95% (at least 1 run)');
  expect(conditions).toContain('p95 run duration above 30.0 s');
  expect(await page.textContent('[data-testid=alerts-summary]')).toContain('of 5 rules firing');
  await d.shot(page, 'alerts');
});
