/**
 * The approvals inbox against a real `baton dev`: a waiting approval appears with its context and SLA,
 * approving it with a comment moves it to "Decided" with who and when and lets the run finish;
 * rejecting fails the run; edit and approve sends the edited data on; a viewer sees no decide button.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard();

interface RunWithSteps {
  id: string;
  status: string;
  steps: { stepId: string; status: string; output?: unknown }[];
}

let invoices = 0;

/** Submits an invoice over 1,000 (it waits for finance's approval) and waits until the inbox has it. */
async function waitingInvoice(): Promise<string> {
  invoices += 1;
  const run = await d.api().post<{ id: string }>('/v1/runs', {
    workflow: 'invoice-processing',
    input: {
      invoiceId: `INV-E2E-${invoices}`,
      vendor: 'northwind',
      currency: 'EUR',
      lines: [{ sku: 'LAPTOP-16', quantity: 1, unitPrice: 2400 }],
    },
  });
  await d.waitFor(async () => {
    const inbox = await d.api().get<{ data: { runId: string }[] }>('/v1/approvals?limit=500');
    return inbox.data.some((a) => a.runId === run.id);
  }, `the approval of run ${run.id} in the inbox`);
  return run.id;
}

async function openInbox(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  await page.getByRole('tab', { name: /Pending/ }).waitFor();
}

function item(page: Page, runId: string): Locator {
  return page.locator(`[data-testid=approval-item][data-run-id="${runId}"][data-step-id=financeApproval]`);
}

async function finished(runId: string): Promise<RunWithSteps> {
  return d.waitFor(async () => {
    const run = await d.api().get<RunWithSteps>(`/v1/runs/${runId}`);
    return ['succeeded', 'failed', 'cancelled'].includes(run.status) && run;
  }, `run ${runId} to finish`);
}

describe('approvals inbox', () => {
  it('approves with a comment; the decision shows under Decided with who and when; the run continues', async () => {
    const runId = await waitingInvoice();
    const page = await d.page();
    await openInbox(page);
    const pending = item(page, runId);
    await pending.waitFor();
    expect(await pending.textContent()).toContain('Approve payment of a large invoice?');
    expect(await pending.locator('[data-testid=age-bar]').getAttribute('data-level')).toBe('green');
    expect(await pending.getByRole('link', { name: runId }).getAttribute('href')).toBe(`/runs/${runId}`);
    await d.shot(page, 'approvals-pending');

    await pending.getByRole('button', { name: 'Show context (run input, completed steps)' }).click();
    await pending.getByText('Completed steps').waitFor();
    await d.shot(page, 'approvals-context');

    await pending.locator('textarea[name=comment]').fill('Vendor and amount checked.');
    await pending.getByRole('button', { name: 'Approve', exact: true }).click();
    await pending.waitFor({ state: 'detached' });
    await d.shot(page, 'approvals-after-approve');

    const run = await finished(runId);
    expect(run.status).toBe('succeeded');
    const decision = run.steps.find((s) => s.stepId === 'financeApproval')?.output;
    expect(decision).toMatchObject({ approved: true, comment: 'Vendor and amount checked.' });

    await page.getByRole('tab', { name: 'Decided' }).click();
    const row = page.locator(`[data-testid=decided-item][data-run-id="${runId}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('approved');
    expect(text).toContain('Vendor and amount checked.');
    expect(text).toContain('first admin key');
    expect(text).toMatch(/\d+ s ago/);
    expect(await row.locator('td').first().getAttribute('title')).toBeTruthy();
    await d.shot(page, 'approvals-decided');
  });

  it('rejects with a comment, which fails the run', async () => {
    const runId = await waitingInvoice();
    const page = await d.page();
    await openInbox(page);
    const pending = item(page, runId);
    await pending.locator('textarea[name=comment]').fill('Duplicate of INV-E2E-1.');
    await pending.getByRole('button', { name: 'Reject', exact: true }).click();
    await pending.waitFor({ state: 'detached' });
    const run = await finished(runId);
    expect(run.status).toBe('failed');

    await page.getByRole('tab', { name: 'Decided' }).click();
    const row = page.locator(`[data-testid=decided-item][data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('rejected');
    expect(await row.textContent()).toContain('Duplicate of INV-E2E-1.');
    await d.shot(page, 'approvals-rejected');
  });

  it('edits the data and approves: the step continues with the edited data', async () => {
    const runId = await waitingInvoice();
    const page = await d.page();
    await openInbox(page);
    const pending = item(page, runId);
    await pending.getByRole('button', { name: 'Edit and approve', exact: true }).click();
    const editor = pending.locator('textarea[name=data]');
    expect(JSON.parse(await editor.inputValue())).toMatchObject({ amount: 2880 });
    await editor.fill('{ not json');
    await pending.getByText('Not valid JSON').waitFor();
    expect(await pending.getByRole('button', { name: 'Approve edited data' }).isDisabled()).toBe(true);
    await d.shot(page, 'approvals-edit-invalid');
    await editor.fill(JSON.stringify({ invoiceId: 'INV-E2E-3', vendor: 'northwind', amount: 2500 }, null, 2));
    await pending.locator('textarea[name=comment]').fill('Capped at the agreed 2,500.');
    await d.shot(page, 'approvals-edit');
    await pending.getByRole('button', { name: 'Approve edited data' }).click();
    await pending.waitFor({ state: 'detached' });

    const run = await finished(runId);
    const decision = run.steps.find((s) => s.stepId === 'financeApproval')?.output;
    expect(decision).toMatchObject({ approved: true, edited: true, data: { amount: 2500 } });

    await page.getByRole('tab', { name: 'Decided' }).click();
    const row = page.locator(`[data-testid=decided-item][data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('edited');
  });

  it('reassigns an approval to another role', async () => {
    const runId = await waitingInvoice();
    const page = await d.page();
    await openInbox(page);
    const pending = item(page, runId);
    await pending.getByRole('button', { name: 'Reassign…' }).click();
    expect(await pending.locator('input[name=role]').inputValue()).toBe('finance');
    await pending.locator('input[name=role]').fill('legal');
    await pending.locator('input[name=assignee]').fill('lea');
    await pending.locator('textarea[name=comment]').fill('Contract question first.');
    await d.shot(page, 'approvals-reassign');
    await pending.getByRole('button', { name: 'Reassign', exact: true }).click();
    await d.waitFor(async () => {
      const inbox = await d.api().get<{ data: { runId: string }[] }>('/v1/approvals?role=legal&assignee=lea');
      return inbox.data.some((a) => a.runId === runId);
    }, 'the approval to move to role legal');
    await pending.getByText('role legal').waitFor();
    await pending.getByText('assignee lea').waitFor();
  });

  it('shows a viewer the inbox read-only, without decide buttons', async () => {
    const runId = await waitingInvoice();
    const viewer = await d.keyFor(['viewer'], 'vera viewer');
    const page = await d.page(viewer);
    await openInbox(page);
    const pending = item(page, runId);
    await pending.waitFor();
    await page.getByTestId('read-only-note').waitFor();
    expect(await page.getByRole('button', { name: 'Approve', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Edit and approve', exact: true }).count()).toBe(0);
    expect(await page.locator('textarea[name=comment]').count()).toBe(0);
    expect(await pending.textContent()).toContain('cannot decide');
    await d.shot(page, 'approvals-viewer');

    await page.getByRole('tab', { name: 'Decided' }).click();
    await page.getByTestId('decided-table').waitFor();
    await d.shot(page, 'approvals-viewer-decided');
  });
});
