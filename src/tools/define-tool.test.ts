import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BatonError } from '../core/errors.js';
import { defineTool } from './define-tool.js';
import { ToolError } from './tool-errors.js';

const context = { idempotencyKey: 'run/step/call', signal: new AbortController().signal };

describe('defineTool', () => {
  const sendEmail = defineTool({
    name: 'send_email',
    description: 'Sends an e-mail.',
    input: z.object({
      to: z.email().describe('The recipient'),
      subject: z.string().max(200),
      cc: z.array(z.email()).optional(),
      priority: z.enum(['low', 'high']).default('low'),
    }),
    effect: true,
    handler: (input) => ({ sent: input.to, priority: input.priority }),
  });

  it('shows the model a draft-07 object schema of what it must send', () => {
    expect(sendEmail.inputSchema).not.toHaveProperty('$schema');
    expect(sendEmail.inputSchema).toMatchObject({
      type: 'object',
      properties: {
        to: { type: 'string', format: 'email', description: 'The recipient' },
        subject: { type: 'string', maxLength: 200 },
        cc: { type: 'array', items: { type: 'string', format: 'email' } },
        priority: { type: 'string', enum: ['low', 'high'], default: 'low' },
      },
    });
    // A field with a default is optional for the model.
    expect(sendEmail.inputSchema.required).toEqual(['to', 'subject']);
  });

  it('derives the flags: an effect is not idempotent unless declared so', () => {
    expect(sendEmail).toMatchObject({ effect: true, idempotent: false });
    const read = defineTool({ name: 'read', description: 'r', input: z.object({}), handler: () => 1 });
    expect(read).toMatchObject({ effect: false, idempotent: true });
    expect(read.timeoutMs).toBeUndefined();
  });

  it('hands the handler the parsed input, defaults applied', async () => {
    await expect(sendEmail.call({ to: 'a@example.com', subject: 'hi' }, context)).resolves.toEqual({
      sent: 'a@example.com',
      priority: 'low',
    });
  });

  it('rejects invalid input with every issue by path, without running the handler', async () => {
    let ran = false;
    const tool = defineTool({
      name: 'order',
      description: 'o',
      input: z.object({ items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })) }),
      handler: () => {
        ran = true;
      },
    });
    const error: ToolError = await tool
      .call(
        {
          items: [
            { sku: 'A', qty: 1 },
            { sku: 7, qty: 0 },
          ],
        },
        context,
      )
      .then(
        () => {
          throw new Error('the handler ran');
        },
        (e: unknown) => e as ToolError,
      );
    expect(error).toBeInstanceOf(ToolError);
    expect(error.code).toBe('TOOL_INPUT_INVALID');
    expect(error.retryable).toBe(false);
    const { issues } = error.details as { issues: { path: string }[] };
    expect(issues.map((issue) => issue.path)).toEqual(['items[1].sku', 'items[1].qty']);
    expect(error.message).toContain('items[1].qty: Too small');
    expect(ran).toBe(false);
  });

  it('refuses schemas a model cannot be shown', () => {
    expect(() =>
      defineTool({ name: 'x', description: 'x', input: z.string(), handler: () => undefined }),
    ).toThrow(BatonError);
    expect(() =>
      defineTool({
        name: 'x',
        description: 'x',
        input: z.object({ at: z.date() }),
        handler: () => undefined,
      }),
    ).toThrow(/no JSON Schema form/);
  });
});
