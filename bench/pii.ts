/**
 * PII masking micro-benchmark: median µs per call on 1 KB messages (clean and with PII), and the time of
 * adversarial 100 KB inputs (no catastrophic backtracking). `npx tsx bench/pii.ts`
 */
import { createMasker, detect } from '../src/gateway/pii/index.js';

const clean =
  'Hi, I ordered the blue jacket last week (order ORD-2024-558812, total $129.99) and it still has not shipped. ' +
  'The tracking page says label created on 2026-03-02 at 10:14:22 but nothing since. I am on app version 4.12.1 on iOS 17.4.1. ' +
  'Could you check with the warehouse and tell me when it will arrive? I need it before the trip on the 15th. ' +
  'Also, the discount code SPRING25 did not apply at checkout, so I paid the full price instead of 97.49. Thanks a lot! ';
const withPii =
  'Hi, I am maria.gonzalez@acme-corp.com, call me at +44 20 7946 0958. I was charged twice on 4111 1111 1111 1111, ' +
  'please refund to DE89 3704 0044 0532 0130 00. Login came from 203.0.113.45 and 2001:db8::8a2e:370:7334. ' +
  'My SSN 123-45-6789 is on file. The integration uses api_key=9f8a7b6c5d4e3f2a1b0c9d8e and sk-proj-Xq81LmN0pQ4rS7tUv2wY5zA9bC3dE6fG. ' +
  'Order ORD-2024-558812 total $129.99 on 2026-03-02 10:14:22, app 4.12.1. Thanks! ';
const kb = (s: string) => s.repeat(Math.ceil(1024 / s.length)).slice(0, 1024);

function bench(name: string, fn: () => void, n = 20000) {
  for (let i = 0; i < 2000; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < 20; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n / 20; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1000 / (n / 20));
  }
  samples.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(44)} median ${samples[10]!.toFixed(1)} µs  (min ${samples[0]!.toFixed(1)}, max ${samples[19]!.toFixed(1)})`,
  );
}

const a = kb(clean);
const b = kb(withPii);
bench('detect, 1 KB without PII', () => detect(a));
bench('detect, 1 KB with ~10 findings', () => detect(b));
bench('session + mask + restore, 1 KB without PII', () => {
  const s = createMasker();
  s.restore(s.mask(a));
});
bench('session + mask + restore, 1 KB with PII', () => {
  const s = createMasker();
  s.restore(s.mask(b));
});
const body = {
  model: 'x',
  messages: [
    { role: 'system', content: a.slice(0, 512) },
    { role: 'user', content: b.slice(0, 512) },
  ],
};
bench('session + maskJson, 2-message chat body (1 KB)', () => createMasker().maskJson(body));

// Adversarial inputs: runs that each regex's quantifiers would fight over.
const evil = [
  '1 '.repeat(50000),
  '1-'.repeat(50000),
  `${'a'.repeat(100000)}@`,
  `${'a.'.repeat(50000)}@`,
  `a@${'b.'.repeat(50000)}`,
  ':'.repeat(100000),
  '1:'.repeat(50000),
  'A1'.repeat(50000),
  'key='.repeat(25000),
  '['.repeat(100000),
  '+1 ('.repeat(25000),
  '1.'.repeat(50000),
  'DE89 '.repeat(20000),
  '-----BEGIN PRIVATE KEY-----'.repeat(4000),
];
for (const e of evil) {
  const t = performance.now();
  detect(e);
  const ms = performance.now() - t;
  console.log(`adversarial ${JSON.stringify(e.slice(0, 12))}... (${e.length} chars): ${ms.toFixed(1)} ms`);
}
