/**
 * invoice-triage: an `llm` step on the `router` alias classifies a document, a second `llm` step
 * extracts the invoice's fields as validated JSON, a branch sends totals above the threshold (or
 * anything the model flags) to finance for approval, and a `tool` step posts the invoice to the
 * ledger, an effect deduplicated by the step's idempotency key.
 */
import { z } from 'zod';
import { llm } from '../../src/agents/llm-step.js';
import { toolCall } from '../../src/agents/tool-step.js';
import { type ApprovalResult, workflow } from '../../src/core/builder.js';
import type { StepContext } from '../../src/core/definition.js';
import { defineTool } from '../../src/tools/define-tool.js';

/** Invoices above this total (in their own currency) wait for finance. */
export const APPROVAL_THRESHOLD = 1000;

/** What the classifier answers. */
export const Classification = z.strictObject({
  kind: z.enum(['invoice', 'receipt', 'other']),
  confidence: z.number().min(0).max(1),
  reason: z.string().describe('One short sentence'),
});
export type Classification = z.infer<typeof Classification>;

/** What the extractor answers. Every field is required (null when absent), as strict structured output wants. */
export const Invoice = z.strictObject({
  vendor: z.string().describe('Who issued the invoice'),
  invoiceNumber: z.string().nullable(),
  issueDate: z.string().nullable().describe('YYYY-MM-DD'),
  currency: z.string().describe('ISO 4217 code, e.g. EUR'),
  total: z.number().min(0).describe('The amount due, taxes included'),
  lines: z.array(
    z.strictObject({
      description: z.string(),
      quantity: z.number(),
      unitPrice: z.number(),
      amount: z.number(),
    }),
  ),
  needsReview: z.boolean().describe('True when a field is unreadable, ambiguous or inconsistent'),
  reviewReason: z.string().nullable(),
});
export type Invoice = z.infer<typeof Invoice>;

/** One posting of the ledger. */
export interface LedgerEntry {
  entryId: string;
  invoiceNumber: string | null;
  vendor: string;
  currency: string;
  total: number;
  approvedBy: string;
  runId: string | undefined;
}

/**
 * The accounting ledger the example posts to: in memory, standing in for an accounting API. Like a
 * real one it deduplicates by the idempotency key Baton passes, so a retried posting is not doubled.
 */
export class ExampleLedger {
  readonly #entries = new Map<string, LedgerEntry>();

  post(key: string, entry: Omit<LedgerEntry, 'entryId'>): { entry: LedgerEntry; duplicate: boolean } {
    const existing = this.#entries.get(key);
    if (existing) return { entry: existing, duplicate: true };
    const posted = { entryId: `LE-${String(this.#entries.size + 1).padStart(4, '0')}`, ...entry };
    this.#entries.set(key, posted);
    return { entry: posted, duplicate: false };
  }

  /** Every posting, oldest first. */
  entries(): LedgerEntry[] {
    return [...this.#entries.values()];
  }
}

/** The ledger of this process. */
export const ledger = new ExampleLedger();

/** `post_to_ledger`: records an approved invoice. */
export const postToLedger = defineTool({
  name: 'post_to_ledger',
  description: 'Posts an approved invoice to the accounting ledger and returns the ledger entry.',
  effect: true,
  idempotent: true,
  input: z.object({
    invoiceNumber: z.string().nullable(),
    vendor: z.string().min(1),
    currency: z.string().min(1),
    total: z.number().min(0),
    approvedBy: z.string().min(1),
  }),
  handler: (input, { idempotencyKey, runId }) => {
    const { entry, duplicate } = ledger.post(idempotencyKey, { ...input, runId });
    return { ...entry, duplicate };
  },
});

const CLASSIFY_INSTRUCTIONS = [
  'You classify business documents for the accounts-payable team.',
  'invoice: a request for payment (it has an amount due, usually an invoice number and payment terms).',
  'receipt: proof of a payment already made.',
  'other: anything else (quotes, letters, statements, spam).',
  'Answer with JSON only: {"kind", "confidence" (0 to 1), "reason" (one short sentence)}.',
].join('\n');

const EXTRACT_INSTRUCTIONS = [
  'You extract the fields of an invoice for the accounts-payable team.',
  'Copy names and numbers exactly as printed; amounts are numbers without currency symbols or thousands separators.',
  'total is the amount due, taxes included. currency is an ISO 4217 code.',
  'One entry in lines per invoice line, with its description, quantity, unit price and amount.',
  'Use null for a field the document does not have. Set needsReview to true, and say why in reviewReason,',
  'when a field is unreadable or ambiguous, or when the lines do not add up to the total (before taxes).',
  'Answer with JSON only.',
].join('\n');

const Input = z.object({
  document: z.string().min(1).max(20_000).describe('The text of the document'),
  source: z.string().optional().describe('Where it came from, e.g. the mailbox'),
});
type Input = z.infer<typeof Input>;
type Steps = {
  classify: Classification;
  extract: Invoice;
  'finance-approval': ApprovalResult<unknown> | undefined;
  'auto-approve': { approvedBy: string } | undefined;
};

const needsApproval = (invoice: Invoice) => invoice.total > APPROVAL_THRESHOLD || invoice.needsReview;

/** The workflow. */
export const invoiceTriage = workflow({
  name: 'invoice-triage',
  version: '1.0.0',
  description: 'Classify a document, extract the invoice, approve large ones, post to the ledger.',
  input: Input,
  timeout: '7d',
})
  .custom<'classify', Classification>('classify', 'llm', {
    description: 'Is it an invoice, a receipt or something else? (router model)',
    ...llm<StepContext<Input>>({
      model: 'router',
      parameters: { temperature: 0 },
      output: Classification,
      messages: ({ input }) => [
        { role: 'system', content: CLASSIFY_INSTRUCTIONS },
        { role: 'user', content: `Document:\n${input.document}` },
      ],
    }),
  })
  .custom<'extract', Invoice, ['classify']>('extract', 'llm', {
    needs: ['classify'],
    description: 'Extract vendor, total, currency and lines (only for invoices).',
    when: ({ steps }) => steps.classify.kind === 'invoice',
    ...llm<StepContext<Input>>({
      model: 'smart',
      parameters: { temperature: 0 },
      output: Invoice,
      messages: ({ input }) => [
        { role: 'system', content: EXTRACT_INSTRUCTIONS },
        { role: 'user', content: `Invoice:\n${input.document}` },
      ],
    }),
  })
  .branch('route', {
    needs: ['extract'],
    description: `Totals above ${APPROVAL_THRESHOLD}, or invoices flagged for review, go to finance.`,
    choose: ({ steps }) => (needsApproval(steps.extract) ? 'finance-approval' : 'auto-approve'),
  })
  .approval('finance-approval', {
    needs: ['route', 'extract'],
    role: 'finance',
    prompt: ({ steps }) =>
      `Approve invoice ${steps.extract.invoiceNumber ?? '(no number)'} from ${steps.extract.vendor} for ${steps.extract.total} ${steps.extract.currency}?` +
      (steps.extract.needsReview ? ' The extraction is flagged for review: check the data first.' : ''),
    data: ({ steps }) => ({ invoice: steps.extract, threshold: APPROVAL_THRESHOLD }),
    timeout: '3d',
    defaultAction: 'reject',
    onReject: 'continue',
  })
  .step('auto-approve', {
    needs: ['route'],
    description: 'Small invoices are approved by policy.',
    run: () => ({ approvedBy: `policy: total at most ${APPROVAL_THRESHOLD}` }),
  })
  .custom<
    'post-to-ledger',
    LedgerEntry & { duplicate: boolean },
    ['extract', 'finance-approval', 'auto-approve']
  >('post-to-ledger', 'tool', {
    needs: ['extract', 'finance-approval', 'auto-approve'],
    description: 'Record the approved invoice in the ledger (an idempotent effect).',
    effect: true,
    idempotent: true,
    when: ({ steps }) => steps['finance-approval']?.approved !== false,
    ...toolCall<StepContext<Input, Steps>>({
      tool: 'post_to_ledger',
      input: ({ steps }) => ({
        invoiceNumber: steps.extract.invoiceNumber,
        vendor: steps.extract.vendor,
        currency: steps.extract.currency,
        total: steps.extract.total,
        approvedBy: steps['finance-approval']?.by ?? steps['auto-approve']?.approvedBy ?? 'unknown',
      }),
    }),
  })
  .output(({ steps }) => {
    const { classify, extract } = steps;
    if (!extract)
      return { kind: classify.kind, outcome: `not an invoice (${classify.reason}): nothing posted` };
    const approval = steps['finance-approval'];
    const posted = steps['post-to-ledger'];
    return {
      kind: classify.kind,
      vendor: extract.vendor,
      invoiceNumber: extract.invoiceNumber,
      total: extract.total,
      currency: extract.currency,
      decision: approval
        ? `${approval.decision} by ${approval.by}${approval.comment ? ` (${approval.comment})` : ''}`
        : steps['auto-approve']?.approvedBy,
      ledgerEntry: posted?.entryId ?? null,
    };
  });
