/**
 * The example workflows that `npm start` (`baton demo`) runs, and the default config of the `baton`
 * command when no `baton.config.ts` is present.
 */
import { readFileSync } from 'node:fs';
import type { Baton } from '../src/runtime/baton.js';
import { invoiceFunctions } from './invoice-functions.js';
import { onboarding } from './onboarding.js';

const invoiceSpec = readFileSync(new URL('./invoice-processing.yaml', import.meta.url), 'utf8');

/** Inputs for one demo run of each example. */
export const demoInputs: Record<string, unknown> = {
  'employee-onboarding': {
    employee: {
      id: 'e-1042',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      role: 'engineer',
      manager: 'grace@example.com',
      // Three seconds from now, so the durable wait is visible but short.
      startDate: new Date(Date.now() + 3000).toISOString(),
    },
  },
  'invoice-processing': {
    invoiceId: 'INV-2026-0042',
    vendor: 'northwind',
    lines: [
      { sku: 'LAPTOP-16', quantity: 1, unitPrice: 2400 },
      { sku: 'DOCK-USB4', quantity: 2, unitPrice: 180 },
      { sku: 'MONITOR-27', quantity: 2, unitPrice: 320 },
      { sku: 'CABLE-C', quantity: 6, unitPrice: 12.5 },
      { sku: 'HEADSET', quantity: 1, unitPrice: 95 },
    ],
  },
};

/** Plays the humans of the demo: approves what waits for approval, as a manager would from the inbox. */
export async function demoScript(
  baton: Baton,
  runIds: string[],
  log: (line: string) => void = console.log,
): Promise<void> {
  const decided = new Set<string>();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let open = 0;
    for (const id of runIds) {
      const run = await baton.getRun(id);
      if (['succeeded', 'failed', 'cancelled'].includes(run.status)) continue;
      open++;
      for (const step of await baton.steps(id)) {
        const key = `${id}:${step.stepId}`;
        if (step.status !== 'waiting' || step.wait?.type !== 'approval' || decided.has(key)) continue;
        decided.add(key);
        await new Promise((r) => setTimeout(r, 800));
        log(`  (demo) ${step.wait.approval?.role ?? 'approver'} approves ${run.workflow} / ${step.stepId}`);
        await baton.decide(id, step.stepId, {
          approved: true,
          by: `demo-${step.wait.approval?.role ?? 'approver'}`,
          comment: 'Looks good',
        });
      }
    }
    if (open === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export default {
  workflows: [onboarding, invoiceSpec],
  functions: invoiceFunctions,
  demoInputs,
  demoScript,
};
