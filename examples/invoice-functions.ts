/** The functions the invoice-processing spec calls by name. Simulated locally: no network, no keys. */

import type { RegisteredFunction } from '../src/core/definition.js';
import { NonRetryableError } from '../src/core/errors.js';

interface Line {
  sku: string;
  quantity: number;
  unitPrice: number;
}
interface Invoice {
  invoiceId: string;
  vendor: string;
  lines: Line[];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BLOCKED_VENDORS = new Set(['acme-fraud']);
/** Payments scheduled and cancelled, as a payment provider that honours idempotency keys would keep them. */
export const paymentLedger = new Map<string, { amount: number; cancelled: boolean }>();

export const invoiceFunctions: Record<string, RegisteredFunction> = {
  validateInvoice: async (args) => {
    const invoice = args as Invoice;
    await pause(20);
    if (BLOCKED_VENDORS.has(invoice.vendor)) {
      throw new NonRetryableError(`vendor ${invoice.vendor} is blocked`, { code: 'VENDOR_BLOCKED' });
    }
    return { ok: true, lines: invoice.lines.length };
  },
  priceLine: async (args) => {
    const line = args as Line;
    await pause(15);
    const net = Math.round(line.quantity * line.unitPrice * 100) / 100;
    const tax = Math.round(net * 0.2 * 100) / 100;
    return { sku: line.sku, net, tax, gross: Math.round((net + tax) * 100) / 100 };
  },
  sumLines: async (args) => {
    const lines = args as { gross: number }[];
    return {
      amount: Math.round(lines.reduce((sum, l) => sum + l.gross, 0) * 100) / 100,
      lines: lines.length,
    };
  },
  autoApprove: async (args) => ({
    approved: true,
    by: 'policy:under-1000',
    amount: (args as { amount: number }).amount,
  }),
  schedulePayment: async (args, ctx) => {
    const { amount } = args as { amount: number };
    await pause(30);
    // The idempotency key makes a re-run after a crash return the same payment instead of paying twice.
    const paymentId = `pay-${ctx.idempotencyKey.replace(/[^a-z0-9]/gi, '').slice(-16)}`;
    if (!paymentLedger.has(paymentId)) paymentLedger.set(paymentId, { amount, cancelled: false });
    return { paymentId, amount };
  },
  // A compensation receives the output of the step it undoes (the spec gives it no other input).
  cancelPayment: async (args) => {
    const { paymentId } = args as { paymentId: string };
    const payment = paymentLedger.get(paymentId);
    if (payment) payment.cancelled = true;
    return { cancelled: paymentId };
  },
  postToLedger: async (args) => {
    const { invoiceId } = args as { invoiceId: string };
    await pause(20);
    if (invoiceId.startsWith('FAIL-'))
      throw new NonRetryableError('the ledger rejected the entry: period closed', { code: 'LEDGER_CLOSED' });
    return { entry: `GL-${invoiceId}` };
  },
};
