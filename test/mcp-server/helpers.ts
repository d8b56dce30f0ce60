/**
 * Helpers of the MCP server tests: reading Baton's tool results as the host sees them.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';

/** A tool's answer: the JSON value of its text, and whether it is an error. */
export interface ToolAnswer<T = Record<string, unknown>> {
  isError: boolean;
  value: T;
}

/** Calls a tool and parses its JSON text. */
export async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolAnswer<T>> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text?: string }[];
  const text = content[0]?.type === 'text' ? (content[0].text ?? '') : '';
  let value: T;
  try {
    value = JSON.parse(text) as T;
  } catch {
    value = { text } as T;
  }
  return { isError: result.isError === true, value };
}

/** Calls a tool that must succeed. */
export async function ok<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const answer = await call<T>(client, name, args);
  expect(answer.isError, JSON.stringify(answer.value)).toBe(false);
  return answer.value;
}

/** Calls a tool that must fail, and returns its error. */
export async function fails(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ code: string; message: string; hint?: string; details?: unknown }> {
  const answer = await call<{ error: { code: string; message: string; hint?: string; details?: unknown } }>(
    client,
    name,
    args,
  );
  expect(answer.isError, JSON.stringify(answer.value)).toBe(true);
  return answer.value.error;
}

/** The names of the tools a client is offered, sorted. */
export async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}
