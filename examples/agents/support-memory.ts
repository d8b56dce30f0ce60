/**
 * support-memory: a support agent with long-term memory. It recalls the customer's earlier issues
 * before answering a ticket, then files a note on the new one, so the next ticket of the same
 * customer is answered knowing the first.
 *
 * Memory is kept per tenant and agent in Baton's store. Embeddings come from `offline/embed` (word
 * hashing, no key needed) even when a model key is set: recall then matches shared words rather
 * than meaning. Use a real embeddings model (`openai/text-embedding-3-small`) for semantic recall;
 * memories embedded by one model are not comparable with another's, so pick one and keep it.
 */
import { z } from 'zod';
import { agent } from '../../src/agents/agent/agent-step.js';
import type { AgentDefinition } from '../../src/agents/agent/define-agent.js';
import { workflow } from '../../src/core/builder.js';
import type { StepContext } from '../../src/core/definition.js';

/** The support agent. */
export const supportAgent: AgentDefinition = {
  name: 'support',
  description: 'Answers customer support tickets, using what it remembers of each customer.',
  model: 'fast',
  instructions: [
    'You are the support agent of Baton Cloud, a hosted workflow service.',
    "Your long-term memory holds notes on this customer's earlier tickets; each note starts with the customer id.",
    'When you are given a ticket to answer:',
    '1. First call memory_recall with the customer id and the subject of the ticket.',
    '2. Then answer the customer in a few friendly sentences. If notes about THIS customer show an earlier related issue, say so and build on it (do not repeat advice that did not work).',
    'Do not call memory_remember while answering a ticket: you will be asked to file a note afterwards.',
    'When you are given a note for a customer file: call memory_remember once with the note as the text (shortened to two sentences if it is longer, starting with the customer id), then reply "Saved."',
  ].join('\n'),
  memory: { longTerm: true, embeddingModel: 'offline/embed' },
  limits: { maxIterations: 4, maxTokens: 20_000, maxCostUsd: 0.1, timeoutMs: 2 * 60_000 },
};

const Input = z.object({
  customer: z.string().min(1).max(100).describe('The customer id, e.g. acme-corp'),
  ticket: z.string().min(1).max(4_000).describe('What the customer wrote'),
});
type Input = z.infer<typeof Input>;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 3)}...` : text);

/** The workflow: answer the ticket (recalling first), then file a note on it. */
export const supportMemory = workflow({
  name: 'support-memory',
  version: '1.0.0',
  description: 'A support agent recalls the customer history, answers, and remembers the ticket.',
  input: Input,
  timeout: '10m',
})
  .custom<'answer', string>('answer', 'agent', {
    description: "Recall the customer's earlier issues, then answer the ticket.",
    retry: { maxAttempts: 3 },
    ...agent<StepContext<Input>>({
      agent: 'support',
      task: ({ input }) => `Ticket from customer ${input.customer}:\n${input.ticket}`,
      // Recall only this customer's notes, whatever the model asks for.
      memoryScope: ({ input }) => ({ customer: input.customer }),
    }),
  })
  .custom<'file-note', string, ['answer']>('file-note', 'agent', {
    needs: ['answer'],
    description: 'File a note on this ticket in long-term memory, for the next ticket.',
    retry: { maxAttempts: 3 },
    ...agent<StepContext<Input, { answer: string }>>({
      agent: 'support',
      task: ({ input, run }) =>
        `Note for the file of customer ${input.customer}: on ${new Date(run.createdAt).toISOString().slice(0, 10)}, ` +
        `${input.customer} reported: "${clip(input.ticket, 300)}"`,
      memoryScope: ({ input }) => ({ customer: input.customer }),
    }),
  })
  .output(({ input, steps }) => ({
    customer: input.customer,
    answer: steps.answer,
    note: steps['file-note'],
  }));
