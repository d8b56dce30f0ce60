/**
 * The agent examples: research-report (an orchestrator delegating to three agents),
 * invoice-triage (`llm` steps with structured output, an approval, a ledger tool) and
 * support-memory (an agent with long-term memory).
 *
 *   npx baton --config examples/agents/baton.config.ts demo
 *
 * Without OPENAI_API_KEY or ANTHROPIC_API_KEY the default routes `fast`, `smart` and `router` go to
 * the offline model, scripted by offline-rules.yaml; with a key they go to the real model.
 */
import { fileURLToPath } from 'node:url';
import type { BatonConfig } from '../../src/cli/config.js';
import { demoScript } from './demo-script.js';
import { invoiceTriage, postToLedger } from './invoice-triage.js';
import { researchAgents, researchReport, researchTools } from './research-report.js';
import { LARGE_INVOICE } from './sample-documents.js';
import { supportAgent, supportMemory } from './support-memory.js';

/** The offline model's rules, by absolute path: a relative `rulesFile` resolves from the current directory. */
export const offlineRulesFile = fileURLToPath(new URL('./offline-rules.yaml', import.meta.url));

/** The gateway section: no routes, so the defaults (`fast`, `smart`, `router`) apply. */
export const gateway = {
  providers: { offline: { kind: 'offline', rulesFile: offlineRulesFile } },
};

/** One input per workflow for `baton demo`. */
export const demoInputs: Record<string, unknown> = {
  'research-report': { topic: 'Should a household replace its gas boiler with a heat pump?' },
  'invoice-triage': { document: LARGE_INVOICE, source: 'ap-inbox@example.com' },
  'support-memory': {
    customer: 'acme-corp',
    ticket:
      'Our nightly export workflow failed twice this week with a TIMEOUT error on the upload step. Can you help?',
  },
};

const config: BatonConfig = {
  workflows: [researchReport, invoiceTriage, supportMemory],
  agents: [...researchAgents, supportAgent],
  tools: [...researchTools, postToLedger],
  gateway,
  demoInputs,
  demoScript,
};

export default config;
