/**
 * Plays the people of the agent demo: finance approves the invoice that waits for it, and once the
 * first support ticket is answered, the same customer writes again, so the second answer shows
 * what the agent remembered of the first.
 */
import type { Baton } from '../../src/runtime/baton.js';

/** The customer's second ticket, submitted once the first is answered. */
export const SECOND_TICKET = {
  customer: 'acme-corp',
  ticket:
    'The nightly export workflow timed out again last night, on the same upload step. What else can we try?',
};

const FINISHED = ['succeeded', 'failed', 'cancelled'];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Approves what waits for approval, as the role it names, until every run has finished. */
export async function approveWaiting(
  baton: Baton,
  runIds: string[],
  log: (line: string) => void,
  deadline = Date.now() + 120_000,
): Promise<void> {
  const decided = new Set<string>();
  while (Date.now() < deadline) {
    let open = 0;
    for (const id of runIds) {
      const run = await baton.getRun(id);
      if (FINISHED.includes(run.status)) continue;
      open++;
      for (const step of await baton.steps(id)) {
        const key = `${id}:${step.stepId}`;
        if (step.status !== 'waiting' || step.wait?.type !== 'approval' || decided.has(key)) continue;
        decided.add(key);
        const role = step.wait.approval?.role ?? 'approver';
        log(`  (demo) ${role} approves ${run.workflow} / ${step.stepId}`);
        await baton.decide(id, step.stepId, {
          approved: true,
          by: `demo-${role}`,
          comment: 'Checked, OK to pay',
        });
      }
    }
    if (open === 0) return;
    await pause(100);
  }
}

/** The demo script of `baton demo` for examples/agents/baton.config.ts. */
export async function demoScript(
  baton: Baton,
  runIds: string[],
  log: (line: string) => void = console.log,
): Promise<void> {
  await approveWaiting(baton, runIds, log);
  for (const id of runIds) {
    const first = await baton.getRun(id);
    if (first.workflow !== 'support-memory' || first.status !== 'succeeded') continue;
    const second = await baton.submit('support-memory', SECOND_TICKET);
    log(`  (demo) ${SECOND_TICKET.customer} writes again: support-memory run ${second.id}`);
    const done = await baton.waitForRun(second.id, { timeoutMs: 120_000 });
    const answer = (done.output as { answer?: unknown } | undefined)?.answer;
    log(`  (demo) second support-memory run ${done.status}; its answer recalls the first ticket:`);
    log(`  (demo)   ${String(answer ?? done.error?.message ?? '')}`);
  }
}
