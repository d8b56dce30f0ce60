/**
 * The agent examples (examples/agents/) run offline, in process: the config's workflows, agents,
 * tools and gateway section on a SQLite engine, gateway ledger and agent store in a temp dir. Then
 * `baton demo` on the same config through the real CLI. No test reads a model key: they are cleared.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import config, { demoInputs } from '../../examples/agents/baton.config.js';
import { SECOND_TICKET } from '../../examples/agents/demo-script.js';
import { ledger } from '../../examples/agents/invoice-triage.js';
import { calculate, evaluate, searchCorpus } from '../../examples/agents/research-corpus.js';
import { Report } from '../../examples/agents/research-report.js';
import { RECEIPT, SMALL_INVOICE } from '../../examples/agents/sample-documents.js';
import { type AgentsRuntime, enableAgents, openAgentStore } from '../../src/agents/enable-agents.js';
import type { AgentStore } from '../../src/agents/state/port.js';
import type { Run } from '../../src/core/types.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { type GatewayLedger, openSqliteLedger } from '../../src/gateway/ledger/index.js';
import { Baton } from '../../src/runtime/baton.js';
import { cli, root } from '../cli/cli-harness.js';
import { tempDir } from '../temp-dir.js';

const KEYS = { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' };

let baton: Baton;
let gatewayLedger: GatewayLedger;
let gateway: Gateway;
let store: AgentStore;
let ai: AgentsRuntime;
let cleanup: () => void;

beforeAll(async () => {
  for (const [name, value] of Object.entries(KEYS)) vi.stubEnv(name, value);
  const dir = tempDir('baton-agent-examples-');
  cleanup = dir.cleanup;
  baton = await Baton.open({ dataDir: dir.dir, durability: 'normal' });
  gatewayLedger = await openSqliteLedger({ path: join(dir.dir, 'gateway.db') });
  gateway = Gateway.open({ config: config.gateway, ledger: gatewayLedger, env: KEYS });
  store = await openAgentStore({ dataDir: dir.dir });
  ai = await enableAgents(baton, {
    gateway,
    store,
    agents: config.agents ?? [],
    tools: config.tools ?? [],
  });
  for (const wf of config.workflows ?? []) await baton.register(wf);
  baton.worker({ pollMs: 10 });
});

afterAll(async () => {
  await baton?.close();
  await ai?.close();
  await store?.close();
  await gateway?.close();
  await gatewayLedger?.close();
  cleanup?.();
  vi.unstubAllEnvs();
});

async function runToEnd(workflow: string, input: unknown): Promise<Run> {
  const run = await baton.submit(workflow, input);
  const done = await baton.waitForRun(run.id, { timeoutMs: 30_000 });
  expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
  return done;
}

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('research-report', () => {
  it('delegates to the researcher, the analyst and the writer as child runs and returns a report', async () => {
    const run = await runToEnd('research-report', demoInputs['research-report']);
    const output = run.output as { topic: string; report: unknown };
    const report = Report.parse(output.report);
    expect(report.sections.length).toBeGreaterThanOrEqual(2);
    const body = report.sections.map((s) => s.body).join('\n');
    expect(body).toContain('gas boiler with a heat pump');
    // The researcher found and read the best source; the analyst listed its figures.
    expect(body).toContain('https://corpus.baton.example/energy/heat-pump-costs');
    expect(body).toContain('Figures found');

    const journal = await store.readJournal({ runId: run.id, stepId: 'orchestrate' });
    const delegations = journal.filter((e) => e.type === 'delegation');
    expect(delegations.map((e) => (e.data as { name: string }).name)).toEqual([
      'delegate_researcher',
      'delegate_analyst',
      'delegate_writer',
    ]);
    const children = await baton.listRuns({ tag: `parent-run:${run.id}` });
    expect(children.map((c) => c.workflow).sort()).toEqual([
      'agent.analyst',
      'agent.researcher',
      'agent.writer',
    ]);
    expect(children.every((c) => c.status === 'succeeded')).toBe(true);
  });

  it('searches the built-in corpus and calculates exactly', async () => {
    expect(searchCorpus('heat pump running costs')[0]?.doc.id).toBe('doc-heat-pump-costs');
    expect(searchCorpus('quantum chromodynamics')).toEqual([]);
    expect(evaluate('12,000 / 3.2 * 0.30')).toBeCloseTo(1125);
    expect(evaluate('(2 + 3) ^ 2 - -1')).toBe(26);
    expect(() => evaluate('process.exit()')).toThrow(/cannot evaluate/);
    const out = await calculate.call(
      { expression: '13300 * 0.10', label: 'gas per year' },
      { idempotencyKey: 'k', signal: new AbortController().signal },
    );
    expect(out).toBe('gas per year: 13300 * 0.10 = 1330');
  });
});

describe('invoice-triage', () => {
  it('sends an invoice above the threshold to finance, then posts it to the ledger once', async () => {
    const run = await baton.submit('invoice-triage', demoInputs['invoice-triage']);
    const waiting = await until(async () => {
      const step = (await baton.steps(run.id)).find((s) => s.stepId === 'finance-approval');
      return step?.status === 'waiting' ? step : undefined;
    }, 'the finance approval');
    expect(waiting.wait?.approval?.role).toBe('finance');
    expect((await baton.getRun(run.id)).status).not.toBe('succeeded');
    expect(ledger.entries().filter((e) => e.runId === run.id)).toEqual([]);

    await baton.decide(run.id, 'finance-approval', { approved: true, by: 'test-finance', comment: 'ok' });
    const done = await baton.waitForRun(run.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('succeeded');
    expect(done.output).toMatchObject({
      kind: 'invoice',
      vendor: 'Northwind Traders GmbH',
      total: 2475.2,
      currency: 'EUR',
      decision: 'approved by test-finance (ok)',
    });
    const posted = ledger.entries().filter((e) => e.runId === run.id);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ invoiceNumber: 'INV-2291', total: 2475.2, approvedBy: 'test-finance' });
    expect((done.output as { ledgerEntry: string }).ledgerEntry).toBe(posted[0]?.entryId);
  });

  it('approves a small invoice by policy, and posts nothing for a receipt', async () => {
    const small = await runToEnd('invoice-triage', { document: SMALL_INVOICE });
    expect(small.output).toMatchObject({ total: 86.4, decision: 'policy: total at most 1000' });
    const states = await baton.steps(small.id);
    expect(states.find((s) => s.stepId === 'finance-approval')?.status).toBe('skipped');
    expect(ledger.entries().filter((e) => e.runId === small.id)).toHaveLength(1);

    const receipt = await runToEnd('invoice-triage', { document: RECEIPT });
    expect(receipt.output).toMatchObject({ kind: 'receipt' });
    expect(ledger.entries().filter((e) => e.runId === receipt.id)).toEqual([]);
  });
});

describe('support-memory', () => {
  it('recalls the first ticket of the same customer when answering the second', async () => {
    const first = await runToEnd('support-memory', demoInputs['support-memory']);
    expect((first.output as { answer: string }).answer).toContain('no earlier tickets');

    const second = await runToEnd('support-memory', SECOND_TICKET);
    const answer = (second.output as { answer: string }).answer;
    expect(answer).toContain('failed twice this week with a TIMEOUT error');

    const memories = await store.listMemories({ tenant: first.tenant, agent: 'support' });
    expect(memories).toHaveLength(2);
    expect(memories.map((m) => m.runId).sort()).toEqual([first.id, second.id].sort());
  });
});

describe('baton demo on the agent examples', () => {
  it('runs the three workflows to success through the real CLI, offline', async () => {
    const result = await cli('--config', join(root, 'examples/agents/baton.config.ts'), 'demo');
    expect(result.code, result.stderr).toBe(0);
    for (const name of ['research-report', 'invoice-triage', 'support-memory']) {
      expect(result.stdout).toMatch(new RegExp(`^${name}\\s+run_\\S+\\s+succeeded`, 'm'));
    }
    expect(result.stdout).toContain('finance approves invoice-triage / finance-approval');
    expect(result.stdout).toContain('failed twice this week with a TIMEOUT error');
  });
});
