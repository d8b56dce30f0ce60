/**
 * research-report: an orchestrator agent delegates to a researcher (web_search and fetch_document
 * over a built-in corpus), an analyst (extract_figures, calculate) and a writer (a report as
 * structured output), each delegation a child run `agent.<name>` drawing on the orchestrator's budget.
 */
import { z } from 'zod';
import { agent } from '../../src/agents/agent/agent-step.js';
import type { AgentDefinition } from '../../src/agents/agent/define-agent.js';
import { workflow } from '../../src/core/builder.js';
import type { StepContext } from '../../src/core/definition.js';
import { calculate, extractFiguresTool, fetchDocument, webSearch } from './research-corpus.js';

/** The report the writer produces and the workflow returns. */
export const Report = z.strictObject({
  title: z.string().describe('A specific title'),
  summary: z.string().describe('Three to five sentences: the answer, then why'),
  sections: z
    .array(
      z.strictObject({
        heading: z.string(),
        body: z.string().describe('Plain text; cite sources by URL'),
      }),
    )
    .min(1)
    .max(8),
});
export type Report = z.infer<typeof Report>;

const orchestrator: AgentDefinition = {
  name: 'orchestrator',
  description: 'Leads the research team and returns the final report.',
  model: 'smart',
  instructions: [
    'You are the orchestrator of a research team: a researcher, an analyst and a writer, each reached through a delegate_<name> tool.',
    'You never research, compute or write the report yourself. Delegate, one at a time and in this order:',
    '1. delegate_researcher: ask for the sources and key facts on the topic, with their URLs.',
    "2. delegate_analyst: give it the researcher's notes, word for word, and ask which figures matter and what they imply.",
    "3. delegate_writer: give it the topic, the researcher's notes and the analyst's analysis, and ask for the final report.",
    'Each delegate sees only the task you give it, so make every task self-contained.',
    "When the writer answers, reply with the writer's report JSON exactly as it returned it.",
  ].join('\n'),
  delegates: ['researcher', 'analyst', 'writer'],
  output: Report,
  limits: { maxIterations: 6, maxTokens: 150_000, maxCostUsd: 1, timeoutMs: 10 * 60_000 },
};

const researcher: AgentDefinition = {
  name: 'researcher',
  description: 'Finds sources on a topic in the document library and reports the key facts with their URLs.',
  model: 'fast',
  instructions: [
    'You are the researcher of a research team. Find what the document library says about the topic you are given.',
    'Call web_search with a few keywords, then fetch_document on the most relevant results (at most three) to read them in full.',
    'Never invent facts or sources: use only what the tools returned.',
    'Answer with plain-text research notes headed "Research notes": the key facts, each with its figures and the URL of its source.',
  ].join('\n'),
  tools: ['web_search', 'fetch_document'],
  limits: { maxIterations: 8, maxTokens: 40_000, maxCostUsd: 0.25, timeoutMs: 3 * 60_000 },
};

const analyst: AgentDefinition = {
  name: 'analyst',
  description: 'Checks the figures in research notes and works out what they imply, with exact arithmetic.',
  model: 'smart',
  instructions: [
    'You are the analyst of a research team. You are given research notes.',
    'Call extract_figures on the notes to list their figures, then use calculate for every derived number (costs, savings, ratios, payback times); never do arithmetic in your head.',
    'Answer in plain text headed "Analysis": the figures that matter, each calculation with its result, and what they imply, in a few bullet points.',
  ].join('\n'),
  tools: ['extract_figures', 'calculate'],
  limits: { maxIterations: 8, maxTokens: 40_000, maxCostUsd: 0.25, timeoutMs: 3 * 60_000 },
};

const writer: AgentDefinition = {
  name: 'writer',
  description: 'Writes the final report (title, summary, sections) from research notes and an analysis.',
  model: 'smart',
  instructions: [
    'You are the writer of a research team. From the topic, research notes and analysis you are given, write a short report for a general reader.',
    'Use only the facts and figures given to you; cite sources by URL in the section bodies.',
    'Answer with JSON only: {"title", "summary", "sections": [{"heading", "body"}]}, with two to five sections.',
  ].join('\n'),
  output: Report,
  limits: {
    maxIterations: 3,
    maxTokens: 20_000,
    maxCostUsd: 0.2,
    timeoutMs: 3 * 60_000,
    maxOutputTokens: 2_048,
  },
};

/** The agents of the research team. */
export const researchAgents: AgentDefinition[] = [orchestrator, researcher, analyst, writer];

/** Their tools. */
export const researchTools = [webSearch, fetchDocument, extractFiguresTool, calculate];

const Input = z.object({ topic: z.string().min(3).max(500) });
type Input = z.infer<typeof Input>;

/** The workflow: one `agent` step, the orchestrator, whose delegations are child runs. */
export const researchReport = workflow({
  name: 'research-report',
  version: '1.0.0',
  description: 'An orchestrator agent delegates research, analysis and writing, and returns a report.',
  input: Input,
  timeout: '15m',
})
  .custom<'orchestrate', Report>('orchestrate', 'agent', {
    description: 'The orchestrator delegates to the researcher, the analyst and the writer in turn.',
    // The loop resumes from its journal, so a retry of the step repeats no call and no delegation.
    retry: { maxAttempts: 3 },
    ...agent<StepContext<Input>>({
      agent: 'orchestrator',
      task: ({ input }) => `Research topic: ${input.topic}`,
    }),
  })
  .output(({ input, steps }) => ({ topic: input.topic, report: steps.orchestrate }));
