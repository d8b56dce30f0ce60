/**
 * Turning a loaded prompt version and the caller's variables into the messages of one model call.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { ChatMessage, ChatRequest } from '../../gateway/types.js';
import type { PromptDefinition, PromptParameters } from './prompt-file.js';
import { renderTemplate } from './template.js';

/** The `response_format` a prompt with an output schema sends. */
export interface JsonSchemaResponseFormat {
  type: 'json_schema';
  json_schema: { name: string; schema: Record<string, unknown>; strict: boolean };
}

/** One version of a prompt, as the library loaded it. */
export interface PromptVersion extends PromptDefinition {
  name: string;
  version: number;
  /**
   * sha256 (hex) of what this version sends: the prompt file and, when `output.schema` names one, its
   * schema file; line ends normalised to `\n`.
   */
  hash: string;
  /** Built from `output`, with a referenced schema file already read. */
  responseFormat?: JsonSchemaResponseFormat;
}

/** A rendered prompt: everything a model call needs, and what a run records about it. */
export interface RenderedPrompt {
  name: string;
  version: number;
  model: string;
  parameters: PromptParameters;
  messages: ChatMessage[];
  responseFormat?: JsonSchemaResponseFormat;
  /** See {@link PromptVersion.hash}. */
  hash: string;
}

/**
 * Fills a prompt version's messages. Declared defaults fill variables the caller leaves out (or passes
 * as `undefined`); extra variables are ignored.
 * @throws BatonError `PROMPT_VARIABLE_MISSING` listing every reference without a value, before any call.
 */
export function renderPrompt(
  prompt: PromptVersion,
  variables: Readonly<Record<string, unknown>> = {},
): RenderedPrompt {
  const values: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(prompt.variables ?? {})) {
    if (declaration.default !== undefined) values[name] = declaration.default;
  }
  for (const [name, value] of Object.entries(variables)) {
    if (value !== undefined) values[name] = value;
  }

  const missing: string[] = [];
  const messages = prompt.messages.map((message): ChatMessage => {
    const rendered = renderTemplate(message.segments, values);
    for (const ref of rendered.missing) if (!missing.includes(ref)) missing.push(ref);
    return { role: message.role, content: rendered.text };
  });
  if (missing.length > 0) {
    throw new BatonError(
      'PROMPT_VARIABLE_MISSING',
      `prompt ${prompt.name}@${prompt.version} is missing ${missing.length === 1 ? 'variable' : 'variables'}: ${missing.join(', ')}`,
      {
        hint: `Pass ${missing.length === 1 ? 'it' : 'them'} to render(), or declare a default under \`variables\` in ${prompt.file}`,
        details: { prompt: prompt.name, version: prompt.version, file: prompt.file, missing },
      },
    );
  }
  return {
    name: prompt.name,
    version: prompt.version,
    model: prompt.model,
    parameters: { ...prompt.parameters },
    messages,
    // Copied so that a caller editing the request cannot change the library's copy.
    ...(prompt.responseFormat ? { responseFormat: structuredClone(prompt.responseFormat) } : {}),
    hash: prompt.hash,
  };
}

/**
 * The chat-completions request for a rendered prompt: model, messages, parameters and response format.
 * @example
 * const response = await gateway.chat(toChatRequest(library.render('triage', { ticket })));
 */
export function toChatRequest(rendered: RenderedPrompt): ChatRequest {
  return {
    ...rendered.parameters,
    model: rendered.model,
    messages: rendered.messages,
    ...(rendered.responseFormat ? { response_format: rendered.responseFormat } : {}),
  };
}
