/**
 * The `llm` step kind: one model call through the gateway, for the step's run (its spend, budget
 * and cancellation). The request comes from a versioned prompt file (its model, parameters and output
 * schema are the defaults) or from messages built in code. With an output schema the answer is JSON,
 * validated; a violation gets one repair round in which the model sees the validation errors, then
 * the step fails with `OUTPUT_SCHEMA_VIOLATION`. Every call carries the prompt's name, version and
 * content hash in its metadata, which the gateway's request log keeps.
 *
 * A retry of the step calls the model again (steps run at least once); the agent loop, which must not
 * repeat its calls, journals them instead (issue 5).
 * @module
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { ZodType } from 'zod';
import type { StepContext } from '../core/definition.js';
import { BatonError } from '../core/errors.js';
import type { Gateway } from '../gateway/gateway.js';
import type { ChatMessage, ChatRequest } from '../gateway/types.js';
import type { StepKind } from '../runtime/kinds/step-kind.js';
import { modelJsonSchema } from '../tools/define-tool.js';
import type { PromptLibrary, RenderedPrompt } from './prompts/index.js';
import { toChatRequest } from './prompts/index.js';
import { requestFingerprint } from './request-fingerprint.js';
import { runForGateway } from './run-budget.js';

/** How an `llm` step builds its call. */
export interface LlmStepOptions<C extends StepContext = StepContext> {
  /** A prompt file (`prompts/<name>/v<N>.md`); the latest version when `version` is absent. */
  prompt?: { name: string; version?: number };
  /** The prompt's template variables. */
  variables?: (ctx: C) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Messages built in code, instead of a prompt file. */
  messages?: (ctx: C) => ChatMessage[] | Promise<ChatMessage[]>;
  /** A route alias or `provider/model`; overrides the prompt's. */
  model?: string;
  /** Sampling and length parameters (`temperature`, `max_tokens`, ...); override the prompt's. */
  parameters?: Record<string, unknown>;
  /** Structured output as a zod schema; overrides the prompt's output schema. */
  output?: ZodType;
  /** Structured output as a JSON Schema (what specs write), checked with Ajv; `output` wins over it. */
  outputJsonSchema?: Record<string, unknown>;
  /** The run's budget for model calls, in USD. */
  budgetUsd?: number;
}

/** What an `llm` step carries in its definition. */
export interface LlmStepConfig {
  options: LlmStepOptions;
  /** The JSON Schema of `options.output`, computed once. */
  outputSchema?: Record<string, unknown>;
}

/**
 * The `config` and `describe` of an `llm` step, for `workflow(...).custom(id, 'llm', llm({...}))`.
 * @example
 * .custom('classify', 'llm', llm({ prompt: { name: 'triage' }, variables: (ctx) => ({ ticket: ctx.input }) }))
 */
export function llm<C extends StepContext = StepContext>(
  options: LlmStepOptions<C>,
): { config: LlmStepConfig; describe: Record<string, unknown> } {
  const outputSchema = options.output ? modelJsonSchema(options.output) : options.outputJsonSchema;
  return {
    config: { options: options as LlmStepOptions, ...(outputSchema ? { outputSchema } : {}) },
    describe: {
      ...(options.prompt ? { prompt: options.prompt } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(options.parameters ? { parameters: options.parameters } : {}),
      ...(outputSchema ? { output: outputSchema } : {}),
      ...(options.budgetUsd === undefined ? {} : { budgetUsd: options.budgetUsd }),
    },
  };
}

/** What the `llm` kind needs. */
export interface LlmKindOptions {
  /** The gateway (a replay passes its recording instead: only `forRun` is used). */
  gateway: Pick<Gateway, 'forRun'>;
  /** Where prompt files are read; required by steps that name a prompt. */
  prompts?: PromptLibrary;
}

interface OutputCheck {
  name: string;
  schema: Record<string, unknown>;
  check(value: unknown): string[] | undefined;
}

/** The `llm` step kind, bound to a gateway (and a prompt library). Pass it to `Baton.open({ kinds })`. */
export function llmKind(options: LlmKindOptions): StepKind {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const compiled = new WeakMap<object, ValidateFunction>();
  return {
    kind: 'llm',
    // The recorded output is the model's answer: text as it was, structured output as its JSON.
    replay: (sources) => {
      const out = sources.recordedOutput;
      return llmKind({
        ...options,
        gateway: sources.models([typeof out === 'string' ? out : JSON.stringify(out)]),
      });
    },
    async execute(step, ctx) {
      const stepConfig = step.config as LlmStepConfig;
      const config = stepConfig.options;
      const rendered = config.prompt ? await render(options.prompts, config, ctx, step.id) : undefined;
      const base: ChatRequest = rendered
        ? toChatRequest(rendered)
        : { model: config.model ?? '', messages: config.messages ? await config.messages(ctx) : [] };
      const check = outputCheck(stepConfig, rendered, ajv, compiled);
      const request: ChatRequest = {
        ...base,
        ...config.parameters,
        model: config.model ?? base.model,
        ...(check
          ? {
              response_format: {
                type: 'json_schema',
                json_schema: { name: check.name, schema: check.schema, strict: true },
              },
            }
          : {}),
        metadata: {
          'baton.step': step.id,
          ...(rendered
            ? { 'baton.prompt': `${rendered.name}@${rendered.version}`, 'baton.prompt_hash': rendered.hash }
            : {}),
        },
      };
      if (!request.model) {
        throw new BatonError('INVALID_SPEC', `llm step ${step.id} names no model`, {
          hint: 'Set model, or use a prompt file whose front matter names one',
        });
      }
      const models = options.gateway.forRun(runForGateway(ctx.run, config.budgetUsd), { signal: ctx.signal });
      const provenance = {
        request: requestFingerprint(request),
        ...(rendered ? { prompt: `${rendered.name}@${rendered.version}` } : {}),
      };
      const first = await models.chat(request);
      const text = first.response.choices[0]?.message.content ?? '';
      if (!check) return { type: 'succeeded', output: text, provenance };
      const firstIssues = issuesOf(text, check);
      if (!firstIssues) return { type: 'succeeded', output: JSON.parse(text), provenance };
      // One repair round: the model sees its answer and what was wrong with it.
      const repaired = await models.chat({
        ...request,
        messages: [
          ...request.messages,
          { role: 'assistant', content: text },
          {
            role: 'user',
            content: `Your answer does not match the required JSON schema:\n${firstIssues.map((i) => `- ${i}`).join('\n')}\nAnswer again with only JSON that matches the schema.`,
          },
        ],
      });
      const second = repaired.response.choices[0]?.message.content ?? '';
      const secondIssues = issuesOf(second, check);
      if (!secondIssues) return { type: 'succeeded', output: JSON.parse(second), provenance };
      throw new BatonError(
        'OUTPUT_SCHEMA_VIOLATION',
        `llm step ${step.id}: the model's answer does not match its output schema, even after a repair round: ${secondIssues.join('; ')}`,
        {
          hint: 'Simplify the schema, improve the prompt, or route to a stronger model',
          details: {
            step: step.id,
            issues: secondIssues,
            ...(rendered ? { prompt: `${rendered.name}@${rendered.version}` } : {}),
          },
        },
      );
    },
  };
}

async function render(
  prompts: PromptLibrary | undefined,
  config: LlmStepOptions,
  ctx: StepContext,
  stepId: string,
): Promise<RenderedPrompt> {
  const prompt = config.prompt as { name: string; version?: number };
  if (!prompts) {
    throw new BatonError(
      'INVALID_SPEC',
      `llm step ${stepId} names prompt ${prompt.name}, but the llm kind has no prompt library`,
      {
        hint: 'Pass prompts: await PromptLibrary.open(dir) to llmKind',
      },
    );
  }
  const variables = config.variables ? await config.variables(ctx) : {};
  return prompts.render(
    prompt.name,
    variables,
    prompt.version === undefined ? {} : { version: prompt.version },
  );
}

function outputCheck(
  { options: config, outputSchema }: LlmStepConfig,
  rendered: RenderedPrompt | undefined,
  ajv: Ajv,
  compiled: WeakMap<object, ValidateFunction>,
): OutputCheck | undefined {
  if (config.output && outputSchema) {
    const schema = config.output;
    return {
      name: 'output',
      schema: outputSchema,
      check(value) {
        const parsed = schema.safeParse(value);
        return parsed.success
          ? undefined
          : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      },
    };
  }
  const format = outputSchema
    ? { name: 'output', schema: outputSchema }
    : rendered?.responseFormat?.json_schema;
  if (!format?.schema) return undefined;
  const schema = format.schema as Record<string, unknown>;
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const fn = validate;
  return {
    name: format.name,
    schema,
    check(value) {
      return fn(value)
        ? undefined
        : (fn.errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message ?? 'invalid'}`);
    },
  };
}

/** What is wrong with an answer that should be JSON matching the schema; undefined when nothing. */
function issuesOf(text: string, check: OutputCheck): string[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return [`the answer is not JSON (${(err as Error).message})`];
  }
  return check.check(value);
}
