/**
 * The gateway benchmark's traffic: one realistic ~1 KB support-chat request holding an e-mail
 * address and a phone number (so PII masking has work to do on every call), and the answer the
 * fake upstream gives.
 */

/** The e-mail address in the user message; the upstream counts requests that still carry it. */
export const RAW_EMAIL = 'maria.gonzalez@acme-corp.com';

const SYSTEM =
  'You are the customer support assistant of Acme Outdoor, an online shop for hiking and camping gear. ' +
  'Answer politely and briefly, in the language of the customer. Never promise refunds above the order ' +
  'total, never ask for full card numbers, and escalate to a human agent when the customer is angry or ' +
  'mentions legal action. Order ids look like ORD-2024-123456. Shipping takes 3 to 5 working days.';

const USER =
  `Hi, this is Maria (${RAW_EMAIL}, you can also call me on +44 20 7946 0958). I ordered the blue ` +
  'Trailblazer jacket last week, order ORD-2024-558812, total $129.99, and it still has not shipped. ' +
  'The tracking page says label created on 2026-03-02 at 10:14 but nothing since. I need it before my ' +
  'trip on the 15th. Also, the discount code SPRING25 did not apply at checkout, so I paid the full ' +
  'price. Could you check with the warehouse and tell me when it will arrive, and refund the discount?';

/** A chat request for `model`, streamed or not. */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: USER },
    ],
    max_tokens: 256,
    temperature: 0.2,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** The fake upstream's answer to every chat (80 words, so about 80 streamed chunks). */
export const ANSWER_TEXT =
  'Hi Maria, thank you for reaching out and sorry for the wait. I checked order ORD-2024-558812 with ' +
  'the warehouse: the jacket was delayed by a stock transfer and leaves today with express shipping at ' +
  'no extra cost, so it should arrive within two working days, well before the 15th. I have also ' +
  'refunded the SPRING25 discount to your original payment method; it can take up to five working days ' +
  'to appear. Is there anything else I can help you with?';
