/**
 * The `llm` step kind on a real engine (SQLite), a real gateway and the fake OpenAI upstream:
 * prompt files, structured output with one repair round, typed failures, and the run's accounting.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { llm, llmKind } from '../../src/agents/llm-step.js';
import { PromptLibrary } from '../../src/agents/prompts/index.js';
import { workflow } from '../../src/core/builder.js';
import { useFakeModel } from '../gateway/harness.js';
import { tempDir, useEngines } from '../helpers.js';

const engine = useEngines();
const fake = useFakeModel();
let prompts: PromptLibrary;
let cleanup: () => void;

beforeAll(async () => {
  const dir = tempDir();
  cleanup = dir.cleanup;
  mkdirSync(join(dir.dir, 'triage', 'schemas'), { recursive: true });
  writeFileSync(
    join(dir.dir, 'triage', 'v1.md'),
    [
      '---',
      'model: fast',
      'output: { schema: verdict }',
      '---',
      '# system',
      'Classify support tickets.',
      '',
      '# user',
      'Ticket: {{ticket.title}}',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir.dir, 'triage', 'schemas', 'verdict.json'),
    JSON.stringify({
      type: 'object',
      properties: { queue: { type: 'string', enum: ['billing', 'tech'] } },
      required: ['queue'],
      additionalProperties: false,
    }),
  );
  prompts = await PromptLibrary.open(dir.dir);
});

afterAll(() => cleanup?.());

async function run(wf: ReturnType<typeof triage>, input: unknown) {
  const b = await engine({ kinds: [llmKind({ gateway: fake.gw.gateway, prompts })] });
  await b.register(wf);
  b.worker();
  const submitted = await b.submit(wf.name, input, { tenant: 'acme' });
  return b.waitForRun(submitted.id);
}

function triage() {
  return workflow({ name: 'triage', version: '1', input: z.object({ title: z.string() }) })
    .custom('classify', 'llm', {
      retry: { maxAttempts: 1 },
      ...llm({ prompt: { name: 'triage' }, variables: (ctx) => ({ ticket: ctx.input }) }),
    })
    .output(({ steps }) => steps.classify);
}

describe('llm steps', () => {
  it("holds every model call to the run's budget (the budget-usd tag the API sets on submit)", async () => {
    fake.up.setScript({ json: { queue: 'billing' } });
    const b = await engine({ kinds: [llmKind({ gateway: fake.gw.gateway, prompts })] });
    await b.register(triage());
    b.worker();
    const poor = await b.submit('triage', { title: 'x' }, { tenant: 'acme', tags: ['budget-usd:0.0000001'] });
    const refused = await b.waitForRun(poor.id);
    expect(refused.status).toBe('failed');
    expect(refused.error?.code).toBe('BUDGET_EXCEEDED');
    expect(fake.up.requests).toHaveLength(0);
    const rich = await b.submit('triage', { title: 'x' }, { tenant: 'acme', tags: ['budget-usd:5'] });
    expect((await b.waitForRun(rich.id)).status).toBe('succeeded');
    expect(fake.up.requests).toHaveLength(1);
  });

  it('renders the prompt file, asks for its schema, and returns the validated JSON', async () => {
    fake.up.setScript({ json: { queue: 'billing' }, usage: { inputTokens: 100, outputTokens: 10 } });
    const done = await run(triage(), { title: 'Invoice charged twice' });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ queue: 'billing' });
    const sent = fake.up.requests[0]?.body as {
      messages: Array<{ role: string; content: string }>;
      response_format: { type: string };
    };
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Classify support tickets.' },
      { role: 'user', content: 'Ticket: Invoice charged twice' },
    ]);
    expect(sent.response_format.type).toBe('json_schema');
    await fake.gw.gateway.flush();
    const [entry] = (await fake.gw.ledger.listRequests({ runId: done.id })).entries;
    expect(entry?.costUsd).toBeCloseTo((100 * 0.15 + 10 * 0.6) / 1e6, 12);
    expect(entry?.request).toContain('"baton.prompt":"triage@1"');
  });

  it('repairs an answer that violates the schema once, showing the model what was wrong', async () => {
    fake.up.setScript([{ json: { queue: 'sales' } }, { json: { queue: 'tech' } }]);
    const done = await run(triage(), { title: 'App crashes' });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ queue: 'tech' });
    expect(fake.up.requests).toHaveLength(2);
    const repairBody = fake.up.requests[1]?.body as
      | { messages: Array<{ role: string; content: string }> }
      | undefined;
    const repair = repairBody?.messages.at(-1);
    expect(repair?.role).toBe('user');
    expect(repair?.content).toContain('/queue');
  });

  it('fails with OUTPUT_SCHEMA_VIOLATION after the repair round, without further calls', async () => {
    fake.up.setScript([{ text: 'not json at all' }, { json: { queue: 'sales' } }]);
    const done = await run(triage(), { title: 'Something' });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'OUTPUT_SCHEMA_VIOLATION' });
    expect(fake.up.requests).toHaveLength(2);
  });

  it('refuses a prompt with a missing variable before any call', async () => {
    const wf = workflow({ name: 'triage', version: '2', input: z.object({ title: z.string() }) })
      .custom('classify', 'llm', {
        retry: { maxAttempts: 1 },
        ...llm({ prompt: { name: 'triage' }, variables: () => ({}) }),
      })
      .output(({ steps }) => steps.classify);
    const done = await run(wf as ReturnType<typeof triage>, { title: 'x' });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'PROMPT_VARIABLE_MISSING' });
    expect(fake.up.requests).toHaveLength(0);
  });

  it('takes messages built in code and a zod output schema', async () => {
    fake.up.setScript({ json: { words: 3 } });
    const wf = workflow({ name: 'count', version: '1', input: z.object({ text: z.string() }) })
      .custom('count', 'llm', {
        ...llm({
          model: 'fast',
          parameters: { temperature: 0 },
          messages: (ctx) => [
            { role: 'user', content: `Count the words: ${(ctx.input as { text: string }).text}` },
          ],
          output: z.object({ words: z.number().int() }),
        }),
      })
      .output(({ steps }) => steps.count);
    const done = await run(wf as ReturnType<typeof triage>, { text: 'one two three' });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ words: 3 });
    expect(fake.up.requests[0]?.body).toMatchObject({
      temperature: 0,
      response_format: { type: 'json_schema' },
    });
  });
});
