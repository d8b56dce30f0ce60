/**
 * Signing in to the dashboard with an API key: a refused key says so, the admin key shows the whole
 * navigation, signing out returns to the form, and a viewer sees only what a viewer may read.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard();

/** The views of the nav, each with the API list it reads first (what its key must be allowed to read). */
const VIEWS: [label: string, path: string][] = [
  ['Overview', '/v1/runs'],
  ['Runs', '/v1/runs'],
  ['Approvals', '/v1/approvals'],
  ['Workflows', '/v1/workflows'],
  ['Gateway', '/v1/gateway/routes'],
  ['Alerts', '/v1/alerts'],
];

/** The views `key` may read, by asking the API. */
async function readableViews(key: string): Promise<string[]> {
  const api = d.api(key);
  const ok = await Promise.all(
    VIEWS.map(([, path]) =>
      api.get(path).then(
        () => true,
        () => false,
      ),
    ),
  );
  return VIEWS.filter((_, i) => ok[i]).map(([label]) => label);
}

const navLinks = (page: Page) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();

describe('dashboard sign-in', () => {
  it('refuses a wrong key with a message and stays on the form', async () => {
    const page = await d.blankPage();
    await page.goto(`${d.url}/`);
    await page.fill('input[name=key]', 'bk_not_a_real_key');
    await page.click('form button[type=submit]');
    const alert = page.locator('[role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('not accepted');
    expect(await page.locator('nav[aria-label=Main]').count()).toBe(0);
    await d.shot(page, 'sign-in-refused');
  });

  it('signs in with the admin key, shows every view in the nav, and signs out', async () => {
    const page = await d.page();
    expect(await navLinks(page)).toEqual(VIEWS.map(([label]) => label));
    expect(await page.getByTestId('who').textContent()).toContain('admin');
    await d.shot(page, 'signed-in-admin');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('input[name=key]').waitFor();
    expect(await page.locator('nav[aria-label=Main]').count()).toBe(0);
    // The key is forgotten: a reload stays signed out.
    await page.reload();
    await page.locator('input[name=key]').waitFor();
  });

  it('shows a viewer the views a viewer may read, never more', async () => {
    const viewer = await d.keyFor(['viewer'], 'sign-in viewer');
    const allowed = await d.api(viewer).get<{ roles: string[]; operations: string[] }>('/v1/session');
    expect(allowed.roles).toEqual(['viewer']);
    expect(allowed.operations).not.toContain('approvals.decide');
    const page = await d.page(viewer);
    const links = await navLinks(page);
    expect(links).toEqual(await readableViews(viewer));
    expect(links).toEqual(expect.arrayContaining(['Overview', 'Runs', 'Approvals', 'Workflows']));
    expect(await page.getByTestId('who').textContent()).toContain('viewer');
    await d.shot(page, 'signed-in-viewer');
  });

  it('signs in with one click from the address baton dev prints, and removes the key from it', async () => {
    const page = await d.blankPage();
    await page.goto(`${d.url}/#key=${d.adminKey}`);
    await page.locator('nav[aria-label=Main]').waitFor();
    expect(page.url()).toBe(`${d.url}/`);
    // Remembered for this tab: a reload stays signed in.
    await page.reload();
    await page.locator('nav[aria-label=Main]').waitFor();

    const refused = await d.blankPage();
    await refused.goto(`${d.url}/runs#key=bk_revoked_or_made_up`);
    const alert = refused.locator('[role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('key in the address was not accepted');
    expect(refused.url()).toBe(`${d.url}/runs`);
  });
});
