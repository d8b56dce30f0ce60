/**
 * The runs list and the run page against a real `baton dev`: submitted runs are listed and a filter
 * narrows them (in the URL), a run's page draws its graph nodes and timeline bars, the inspector shows
 * a step's output, the history downloads whole, a waiting run is followed live and cancelled, and a
 * run is submitted from the "New run" form.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useDashboard } from './harness.js';

const d = useDashboard();

interface Run {
  id: string;
  workflow: string;
  status: string;
  steps?: { stepId: string; output?: unknown }[];
}

const INVOICE = {
  invoiceId: 'INV-E2E-1',
  vendor: 'northwind',
  lines: [
    { sku: 'DOCK-USB4', quantity: 2, unitPrice: 180 },
    { sku: 'CABLE-C', quantity: 6, unitPrice: 12.5 },
  ],
};

/** An onboarding run stops at its manager's approval: nobody decides it in these tests. */
function onboardingInput(id: string) {
  return {
    employee: {
      id,
      name: 'Test Person',
      email: `${id}@example.com`,
      role: 'engineer',
      manager: 'manager@example.com',
      startDate: '2030-01-01T00:00:00Z',
    },
  };
}

async function submit(workflow: string, input: unknown, tags: string[] = []): Promise<Run> {
  return d.api().post<Run>('/v1/runs', { workflow, input, tags });
}

async function runStatus(id: string): Promise<string> {
  return (await d.api().get<Run>(`/v1/runs/${id}`)).status;
}

/** The ids of the rows of the runs table. */
async function listedIds(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=run-row]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id') ?? ''));
}

async function shownStatus(page: Page): Promise<string | null> {
  return page.locator('[data-testid=run-status] [data-status]').getAttribute('data-status');
}

describe('dashboard runs', () => {
  it('lists submitted runs and narrows them with filters kept in the URL', async () => {
    const invoices = [
      await submit('invoice-processing', INVOICE, ['e2e:list']),
      await submit('invoice-processing', INVOICE),
    ];
    const waiting = await submit('employee-onboarding', onboardingInput('e-list'), ['e2e:list']);
    await d.waitFor(async () => (await runStatus(waiting.id)) === 'waiting', 'the onboarding run to wait');

    const page = await d.page();
    await page.goto(`${d.url}/runs`);
    await d.waitFor(async () => {
      const ids = await listedIds(page);
      return [...invoices, waiting].every((r) => ids.includes(r.id));
    }, 'the submitted runs to be listed');
    expect(await page.getByTestId('runs-tenant').textContent()).toContain('default');
    await d.shot(page, 'runs-list');

    // Live: a run submitted while the list is open appears without a reload (the first page is polled).
    const later = await submit('invoice-processing', INVOICE);
    await d.waitFor(
      async () => (await listedIds(page))[0] === later.id,
      'the new run to appear on top',
      15_000,
    );

    // A workflow filter: only that workflow's runs remain, and the URL says so.
    await page.selectOption('select[name=workflow]', 'employee-onboarding');
    await d.waitFor(async () => {
      const ids = await listedIds(page);
      return ids.includes(waiting.id) && !ids.some((id) => invoices.some((r) => r.id === id));
    }, 'the list to narrow to employee-onboarding');
    expect(new URL(page.url()).searchParams.get('workflow')).toBe('employee-onboarding');
    const workflows = await page.locator('[data-testid=run-row] td:nth-child(2)').allTextContents();
    expect(new Set(workflows)).toEqual(new Set(['employee-onboarding']));

    // Waiting for approval, and a tag, from a shared link.
    await page.goto(`${d.url}/runs?status=waiting_for_approval&tag=e2e:list`);
    await d.waitFor(async () => {
      const ids = await listedIds(page);
      return ids.length === 1 && ids[0] === waiting.id;
    }, 'the list to show the one waiting run tagged e2e:list');
    expect(await page.locator('[data-status-filter=waiting_for_approval]').getAttribute('aria-pressed')).toBe(
      'true',
    );
    expect(await page.locator('input[name=tag]').inputValue()).toBe('e2e:list');
    await d.shot(page, 'runs-list-filtered');

    // A filter nothing matches says so.
    await page.fill('input[name=tag]', 'e2e:nothing-has-this');
    await page.press('input[name=tag]', 'Enter');
    await page.getByTestId('runs-empty').waitFor();
    expect(await page.getByTestId('runs-empty').textContent()).toContain('No runs match');
  });

  it("opens a run: its graph and timeline, a step's output, the trace, and the whole history as JSON", async () => {
    const run = await submit('invoice-processing', INVOICE);
    await d.waitFor(async () => (await runStatus(run.id)) === 'succeeded', 'the invoice run to succeed');
    const done = await d
      .api()
      .get<Run & { steps: { stepId: string; output?: unknown }[] }>(`/v1/runs/${run.id}`);
    const { versions } = await d
      .api()
      .get<{ versions: { id: string; graph: { steps: { id: string }[] } }[] }>(
        '/v1/workflows/invoice-processing',
      );
    const graph = versions.at(-1)?.graph.steps ?? [];

    const page = await d.page();
    await page.goto(`${d.url}/runs/${run.id}`);
    await d.waitFor(async () => (await shownStatus(page)) === 'succeeded', 'the run page to show succeeded');
    await d.waitFor(
      async () => (await page.locator('[data-testid=graph-node]').count()) === graph.length,
      'one graph node per step',
    );
    const nodeStatus = await page
      .locator('[data-testid=graph-node][data-step-id=validate]')
      .getAttribute('data-status');
    expect(nodeStatus).toBe('succeeded');
    expect(await page.locator('[data-testid=timeline-bar]').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('run-cost').textContent()).toMatch(/\$/);
    await d.shot(page, 'run-detail');

    // The inspector shows the chosen step's output as the API has it.
    await page.locator('[data-testid=graph-node][data-step-id=total]').click();
    const inspector = page.locator('[data-testid=step-inspector][data-step=total]');
    await inspector.waitFor();
    const output = done.steps.find((s) => s.stepId === 'total')?.output;
    expect(output).toBeDefined();
    await d.waitFor(
      async () =>
        (await inspector.getByTestId('step-output').textContent())?.includes(JSON.stringify(output, null, 2)),
      "the inspector to show the step's output",
    );
    await inspector.getByTestId('step-attempts').waitFor();
    expect(new URL(page.url()).searchParams.get('step')).toBe('total');
    await inspector.scrollIntoViewIfNeeded();
    await d.shot(page, 'run-inspector');

    // The trace: the run's spans as a tree.
    await page.getByTestId('tab-trace').click();
    await d.waitFor(
      async () => (await page.locator('[data-testid=run-trace] [data-testid=span-row]').count()) > 0,
      'the trace',
    );

    // The history downloads with every event.
    const history = await d.api().get<{ data: { seq: number }[] }>(`/v1/runs/${run.id}/history?limit=5000`);
    await page.getByTestId('tab-history').click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('history-download').click(),
    ]);
    const file = await download.path();
    const events = JSON.parse(readFileSync(file, 'utf8')) as { seq: number }[];
    expect(events.map((e) => e.seq)).toEqual(history.data.map((e) => e.seq));
    expect(download.suggestedFilename()).toBe(`${run.id}-history.json`);
  });

  it('follows a run live to its approval wait, and cancels it', async () => {
    const run = await submit('employee-onboarding', onboardingInput('e-cancel'));
    const page = await d.page();
    await page.goto(`${d.url}/runs/${run.id}`);
    // Whatever the run is doing when the page opens, the event stream brings the page to its wait.
    await d.waitFor(async () => (await shownStatus(page)) === 'waiting', 'the page to show the run waiting');
    await d.waitFor(
      async () =>
        (await page
          .locator('[data-testid=graph-node][data-step-id=managerApproval]')
          .getAttribute('data-status')) === 'waiting',
      'the approval node to wait',
    );
    expect(await page.getByTestId('run-stream').getAttribute('data-stream')).toBe('live');

    await page.getByTestId('run-cancel').click();
    const dialog = page.getByTestId('cancel-dialog');
    await dialog.waitFor();
    await dialog.locator('input').fill('e2e: no longer needed');
    await dialog.getByTestId('dialog-confirm').click();
    await d.waitFor(
      async () => (await shownStatus(page)) === 'cancelled',
      'the page to show the run cancelled',
    );
    expect(await runStatus(run.id)).toBe('cancelled');
    await d.waitFor(
      async () => (await page.getByTestId('run-stream').getAttribute('data-stream')) === 'ended',
      'the stream to end',
    );
    expect(await page.getByTestId('run-cancel').count()).toBe(0);
  });

  it('submits a new run from the list and opens it; refuses invalid input with the API error', async () => {
    const page = await d.page();
    await page.goto(`${d.url}/runs`);
    await page.getByTestId('new-run').click();
    const dialog = page.getByTestId('new-run-dialog');
    await dialog.waitFor();
    expect(await dialog.locator('textarea[name=input]').inputValue()).toBe('{}');
    await dialog.locator('select[name=workflow]').selectOption('invoice-processing');
    // `{}` lacks the invoice's fields: the API's INVALID_INPUT is shown and the dialog stays.
    await dialog.getByTestId('dialog-confirm').click();
    await dialog.locator('[role=alert]').waitFor();
    expect(await dialog.locator('[role=alert]').textContent()).toContain('INVALID_INPUT');

    await dialog.locator('textarea[name=input]').fill(JSON.stringify(INVOICE));
    await dialog.getByTestId('dialog-confirm').click();
    await page.waitForURL(/\/runs\/run_/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1) ?? '');
    await d.waitFor(
      async () => (await shownStatus(page)) === 'succeeded',
      'the new run to succeed on its page',
    );
    expect((await d.api().get<Run>(`/v1/runs/${id}`)).workflow).toBe('invoice-processing');
  });

  it('shows a viewer no action it may not take', async () => {
    const run = await submit('employee-onboarding', onboardingInput('e-viewer'));
    const viewer = await d.keyFor(['viewer'], 'runs viewer');
    const page = await d.page(viewer);
    await page.goto(`${d.url}/runs`);
    await page.getByTestId('runs-table').waitFor();
    expect(await page.getByTestId('new-run').count()).toBe(0);
    await page.goto(`${d.url}/runs/${run.id}`);
    await page.getByTestId('run-header').waitFor();
    for (const action of ['run-cancel', 'run-rerun', 'run-replay', 'run-fork']) {
      expect(await page.getByTestId(action).count()).toBe(0);
    }
    await d.api().post(`/v1/runs/${run.id}/cancel`, {});
  });

  it('replays a run, forks it from a step (effects refused, then allowed), and reruns it', async () => {
    const run = await submit('invoice-processing', INVOICE);
    await d.waitFor(async () => (await runStatus(run.id)) === 'succeeded', 'the invoice run to succeed');
    const page = await d.page();
    await page.goto(`${d.url}/runs/${run.id}`);
    await d.waitFor(async () => (await shownStatus(page)) === 'succeeded', 'the run page');

    await page.getByTestId('run-replay').click();
    const replay = page.getByTestId('replay-dialog');
    await replay.getByTestId('dialog-confirm').click();
    const report = replay.getByTestId('replay-report');
    await report.waitFor();
    expect(await report.getAttribute('data-diverged')).toBe('false');
    await d.shot(page, 'run-replay');
    await replay.getByRole('button', { name: 'Close' }).click();

    // From `total`, the effect `pay` would run again: refused until allowed.
    await page.getByTestId('run-fork').click();
    const fork = page.getByTestId('fork-dialog');
    await fork.locator('select[name=fromStep]').selectOption('total');
    await fork.getByTestId('dialog-confirm').click();
    await fork.locator('[role=alert]').waitFor();
    expect(await fork.locator('[role=alert]').textContent()).toContain('FORK_EFFECTS_REFUSED');
    await fork.locator('input[type=checkbox]').check();
    await fork.getByTestId('dialog-confirm').click();
    await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(run.id));
    await page.getByTestId('run-header').waitFor();
    expect(await page.getByTestId('run-header').textContent()).toContain(`fork of ${run.id}`);

    await page.goto(`${d.url}/runs/${run.id}`);
    await page.getByTestId('run-rerun').click();
    await page.getByTestId('rerun-dialog').getByTestId('dialog-confirm').click();
    await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(run.id));
    await page.getByTestId('run-header').waitFor();
    expect(await page.getByTestId('run-header').textContent()).toContain(`rerun of ${run.id}`);
  });
});
