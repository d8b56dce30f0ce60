/**
 * The dashboard's main flow, end to end on a real `baton dev`: sign in, submit a run of the example
 * workflow that waits for a manager (`employee-onboarding`), follow it live on its run page, decide
 * its approval in the inbox, and see it finish with its cost and trace. A viewer sees the inbox but
 * can decide nothing, in the dashboard or through the API.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { HttpError, useDashboard } from './harness.js';

const d = useDashboard();

const WORKFLOW = 'employee-onboarding';
const APPROVAL = 'managerApproval';

/** The demo input of examples/index.ts, starting `inMs` from now (the run then sleeps until it). */
function onboardingInput(id: string, inMs: number) {
  return {
    employee: {
      id,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      role: 'engineer',
      manager: 'grace@example.com',
      startDate: new Date(Date.now() + inMs).toISOString(),
    },
  };
}

interface Run {
  id: string;
  workflow: string;
  status: string;
  output?: { approvedBy?: string; welcomed?: string };
}

/** Submits through the API (for the viewer's test) and returns the run's id. */
async function submitByApi(input: unknown): Promise<string> {
  const run = await d.api().post<{ id: string }>('/v1/runs', { workflow: WORKFLOW, input });
  return run.id;
}

/** Waits until the run's approval is in the inbox (API side). */
async function untilAwaitingApproval(runId: string): Promise<void> {
  await d.waitFor(
    async () => {
      const inbox = await d.api().get<{ data: { runId: string; stepId: string }[] }>('/v1/approvals');
      return inbox.data.some((a) => a.runId === runId && a.stepId === APPROVAL);
    },
    `run ${runId} to wait for ${APPROVAL}`,
    30_000,
  );
}

/** The status the run page shows (`data-status` of its badge, on or inside `run-status`). */
const shownStatus = (page: Page) =>
  page
    .locator('[data-testid=run-status][data-status], [data-testid=run-status] [data-status]')
    .first()
    .getAttribute('data-status', { timeout: 1_000 });

/**
 * Waits until the run page shows `status` by itself (no reload). On time-out, says what the API
 * answered meanwhile: a page stuck behind the API is the view not following the run.
 */
async function untilShown(page: Page, runId: string, status: string): Promise<void> {
  try {
    await d.waitFor(
      async () => (await shownStatus(page)) === status,
      `the run page to show "${status}"`,
      30_000,
    );
  } catch (err) {
    const api = await d.api().get<Run>(`/v1/runs/${runId}`);
    const shown = await shownStatus(page).catch(() => 'nothing');
    throw new Error(`${(err as Error).message}: the page shows "${shown}", the API says "${api.status}"`);
  }
}

/** A link of the main navigation. */
const nav = (page: Page, label: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });

/** Marks the page's window: the mark is gone if the page reloads. */
const markWindow = (page: Page) =>
  page.evaluate(() => {
    (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
  });
const stillMarked = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded === true);

describe('the main flow', () => {
  it('submits an onboarding run, follows it live, approves it in the inbox, and sees it finish with cost and trace', async () => {
    const page = await d.page();
    const approverKey = await d.keyFor(['approver'], 'flow approver');
    // From sign-in to the finished run, the page is never reloaded: everything below is live.
    await markWindow(page);

    // Submitted from the runs view's "New run" dialog, which opens the new run's page.
    await nav(page, 'Runs').click();
    await page.getByTestId('new-run').click();
    const dialog = page.getByTestId('new-run-dialog');
    await dialog.locator(`select[name=workflow] option[value="${WORKFLOW}"]`).waitFor({ state: 'attached' });
    await dialog.locator('select[name=workflow]').selectOption(WORKFLOW);
    await dialog
      .locator('textarea[name=input]')
      .fill(JSON.stringify(onboardingInput('e-flow', 1_500), null, 2));
    await d.shot(page, 'flow-new-run');
    await dialog.getByRole('button', { name: 'Submit run' }).click();
    await page.waitForURL(/\/runs\/run_[^/?#]+$/, { timeout: 15_000 });
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    expect((await d.api().get<Run>(`/v1/runs/${runId}`)).workflow).toBe(WORKFLOW);

    await untilShown(page, runId, 'waiting');
    await untilAwaitingApproval(runId);
    await d.shot(page, 'flow-run-waiting');

    // The approver decides in the inbox, in another browser.
    const inbox = await d.page(approverKey);
    await nav(inbox, 'Approvals').click();
    const item = inbox.locator(`[data-testid=approval-item][data-run-id="${runId}"]`);
    await item.waitFor({ timeout: 15_000 });
    await d.shot(inbox, 'flow-inbox');
    await item.locator('textarea[name=comment]').fill('Laptop and training look right.');
    await item.getByRole('button', { name: 'Approve', exact: true }).click();
    await item.waitFor({ state: 'detached', timeout: 15_000 });

    // The run page follows: waiting, then the durable sleep, then succeeded, without a reload.
    await untilShown(page, runId, 'succeeded');
    expect(await stillMarked(page)).toBe(true);

    const cost = page.locator('[data-testid=run-cost]').first();
    await cost.waitFor();
    expect(await cost.textContent()).toMatch(/\$\s?\d/);
    const trace = page.locator('[data-testid=run-trace]').first();
    await trace.waitFor();
    await d.waitFor(async () => {
      const text = (await trace.textContent()) ?? '';
      return ['createAccounts', APPROVAL, 'welcome'].every((step) => text.includes(step));
    }, 'the trace to show every step');
    await d.shot(page, 'flow-run-succeeded');

    const run = await d.api().get<Run>(`/v1/runs/${runId}`);
    expect(run.status).toBe('succeeded');
    expect(run.output?.approvedBy).toContain('flow approver');
    const decided = await d
      .api()
      .get<{ data: { runId: string; decision: string; comment: string | null; by: string }[] }>(
        '/v1/approvals/decided',
      );
    expect(decided.data.find((a) => a.runId === runId)).toMatchObject({
      decision: 'approve',
      comment: 'Laptop and training look right.',
      by: expect.stringContaining('flow approver'),
    });
  });

  it('shows a viewer the inbox without decisions, and the API refuses a viewer decision with 403', async () => {
    const viewerKey = await d.keyFor(['viewer'], 'flow viewer');
    const runId = await submitByApi(onboardingInput('e-viewer', 60_000));
    await untilAwaitingApproval(runId);

    const page = await d.page(viewerKey);
    await nav(page, 'Approvals').click();
    const item = page.locator(`[data-testid=approval-item][data-run-id="${runId}"]`);
    await item.waitFor({ timeout: 15_000 });
    expect(await item.getByRole('button', { name: /approve|reject|reassign/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Approve|Reject)$/ }).count()).toBe(0);
    expect(await page.locator('textarea[name=comment]').count()).toBe(0);
    await d.shot(page, 'flow-inbox-viewer');

    const refused = await d
      .api(viewerKey)
      .post(`/v1/approvals/${runId}/${APPROVAL}/decide`, { decision: 'approve' })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(403);
    expect((refused as HttpError).code).toBe('FORBIDDEN');

    // Still waiting: the refusal changed nothing. The admin closes it.
    expect((await d.api().get<Run>(`/v1/runs/${runId}`)).status).toBe('waiting');
    await d
      .api()
      .post(`/v1/approvals/${runId}/${APPROVAL}/decide`, { decision: 'reject', comment: 'test over' });
  });
});
