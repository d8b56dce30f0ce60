/**
 * The first command of the README (`npm start`, that is `baton dev --demo`): the one-click address it
 * prints signs in, and the dashboard shows the example runs finishing, each with its page.
 */
import { describe, expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard({ demo: true });

describe('the first start', () => {
  it('signs in from the printed address and shows the demo runs finished', async () => {
    const page = await d.blankPage();
    await page.goto(`${d.url}/#key=${d.adminKey}`);
    await page.locator('nav[aria-label=Main]').waitFor();
    expect(page.url()).toBe(`${d.url}/`);
    await d.shot(page, 'first-start-landing');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Runs', exact: true })
      .click();
    const rows = page.locator('[data-testid=run-row]');
    // The demo plays the approvers: both example runs finish on their own, and the list follows live.
    await d.waitFor(
      async () => {
        const statuses = await rows.evaluateAll((trs) =>
          trs.map((tr) => tr.querySelector('[data-status]')?.getAttribute('data-status')),
        );
        return statuses.length === 2 && statuses.every((s) => s === 'succeeded');
      },
      'both demo runs to show "succeeded" in the runs list',
      45_000,
    );
    const text = (await page.getByTestId('runs-table').textContent()) ?? '';
    expect(text).toContain('employee-onboarding');
    expect(text).toContain('invoice-processing');
    await d.shot(page, 'first-start-runs');

    await rows.filter({ hasText: 'employee-onboarding' }).locator('a').first().click();
    await page.getByTestId('run-trace').waitFor();
    expect(await page.locator('[data-testid=run-status] [data-status]').getAttribute('data-status')).toBe(
      'succeeded',
    );
    await d.shot(page, 'first-start-run');
  });
});
