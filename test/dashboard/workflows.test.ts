/**
 * The workflows view against a real `baton dev`: the catalogue lists the built-in examples, a
 * version's graph shows its steps and the definition of the one selected, the cost model shows figures
 * once runs have finished, and a diff between two versions shows what changed.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard();

interface Version {
  id: string;
  number: number;
  graph: { steps: { id: string }[] };
  definition: { version: string; steps: ({ id: string } & Record<string, unknown>)[] } & Record<
    string,
    unknown
  >;
}

async function openWorkflow(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
  await page.locator(`[data-testid=workflow-row][data-workflow="${name}"]`).waitFor();
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByTestId('version-list').waitFor();
}

/** A small invoice: under 1,000, approved automatically, so the run finishes on its own. */
async function smallInvoice(n: number): Promise<string> {
  const run = await d.api().post<{ id: string }>('/v1/runs', {
    workflow: 'invoice-processing',
    input: {
      invoiceId: `INV-WF-${n}`,
      vendor: 'northwind',
      currency: 'EUR',
      lines: [{ sku: 'CABLE-C', quantity: 2 + n, unitPrice: 12.5 }],
    },
  });
  return run.id;
}

describe('workflows view', () => {
  it('lists the examples in the catalogue', async () => {
    const page = await d.page();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
    const rows = page.getByTestId('workflow-row');
    await rows.first().waitFor();
    const names = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-workflow')));
    expect(names).toEqual(expect.arrayContaining(['employee-onboarding', 'invoice-processing']));
    const invoice = page.locator('[data-testid=workflow-row][data-workflow="invoice-processing"]');
    expect(await invoice.textContent()).toMatch(/v1/);
    await d.shot(page, 'workflows-catalogue');
  });

  it("shows a version's graph, and the definition of the step selected in it", async () => {
    const { versions } = await d.api().get<{ versions: Version[] }>('/v1/workflows/employee-onboarding');
    const latest = versions[versions.length - 1] as Version;
    const page = await d.page();
    await openWorkflow(page, 'employee-onboarding');
    const nodes = page.locator('[data-testid=version-graph] [data-testid=graph-node]');
    await nodes.first().waitFor();
    expect(await nodes.count()).toBe(latest.graph.steps.length);
    await d.shot(page, 'workflows-graph');

    await page.locator('[data-testid=graph-node][data-step-id=managerApproval]').click();
    const inspector = page.getByTestId('step-inspector');
    await inspector.waitFor();
    expect(await inspector.getAttribute('data-step-id')).toBe('managerApproval');
    const text = (await inspector.textContent()) ?? '';
    expect(text).toContain('approval');
    expect(text).toContain('requestHardware');
    expect(text).toContain('3 attempts');
    expect(text).toContain('Approve the onboarding plan');
    expect(page.url()).toContain('step=managerApproval');
    await d.shot(page, 'workflows-step');

    await page.locator('[data-testid=step-row][data-step-id=createAccounts]').click();
    await page.locator('[data-testid=step-inspector][data-step-id=createAccounts]').waitFor();
    expect(await inspector.textContent()).toContain('idempotent');
  });

  it('shows the cost model of a version after a few runs', async () => {
    const page = await d.page();
    await openWorkflow(page, 'invoice-processing');
    const ids = await Promise.all([1, 2, 3].map(smallInvoice));
    await d.waitFor(
      async () => {
        const runs = await Promise.all(ids.map((id) => d.api().get<{ status: string }>(`/v1/runs/${id}`)));
        return runs.every((r) => r.status === 'succeeded');
      },
      'three invoice runs to succeed',
      60_000,
    );
    await page.getByRole('tab', { name: 'Cost model' }).click();
    await page.getByTestId('cost-runs').waitFor();
    // Refetched every 15 s: poll the figure rather than the first answer.
    await d.waitFor(
      async () => Number(await page.getByTestId('cost-runs').textContent()) >= 3,
      'the cost model to count the three runs',
      30_000,
    );
    const p50 = (await page.getByTestId('cost-duration-p50').textContent()) ?? '';
    expect(p50).toMatch(/\d+(\.\d+)? (ms|s)/);
    expect(await page.getByTestId('cost-total').textContent()).toMatch(/^\$/);
    await page.locator('select[name=window]').selectOption('7d');
    await page.getByTestId('cost-runs').waitFor();
    expect(page.url()).toContain('window=7d');
    await d.shot(page, 'workflows-cost');
  });

  it('diffs two versions after a second one is registered', async () => {
    const { versions } = await d.api().get<{ versions: Version[] }>('/v1/workflows/invoice-processing');
    const first = versions[versions.length - 1] as Version;
    const spec = structuredClone(first.definition);
    spec.version = `${spec.version}-e2e`;
    for (const step of spec.steps) if (step.id === 'financeApproval') step.timeout = '1d';
    spec.steps.push({ id: 'archive', kind: 'fn', needs: ['post'], fn: 'postToLedger', input: '$steps.post' });
    const { version } = await d.api().post<{ version: Version }>('/v1/workflows', spec);
    expect(version.number).toBe(first.number + 1);

    const page = await d.page();
    await openWorkflow(page, 'invoice-processing');
    await page.locator(`[data-testid=version-row][data-version="${version.number}"]`).waitFor();
    await page.getByRole('tab', { name: 'Diff' }).click();
    const diff = page.getByTestId('version-diff');
    await diff.locator('[data-testid=diff-added][data-step-id=archive]').waitFor();
    const changed = diff.locator('[data-testid=diff-changed][data-step-id=financeApproval]');
    await changed.waitFor();
    expect(await changed.textContent()).toContain('timeout');
    expect(await changed.textContent()).toContain('1d');
    await d.shot(page, 'workflows-diff');

    // The same version on both sides says so rather than showing an empty diff.
    await diff.locator('select[name=from]').selectOption(String(version.number));
    await diff.getByText('Pick two different versions.').waitFor();

    await page.locator(`[data-testid=version-row][data-version="${first.number}"]`).click();
    await page.getByRole('tab', { name: 'Graph' }).click();
    const nodes = page.locator('[data-testid=version-graph] [data-testid=graph-node]');
    await nodes.first().waitFor();
    expect(await nodes.count()).toBe(first.graph.steps.length);
  });
});
