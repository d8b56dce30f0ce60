/**
 * A labelled corpus of realistic lines (support tickets, e-mails, logs, chat, tool output): about
 * half carry PII of each type, marked inline as ⟦TYPE|value⟧, and half are hard negatives that look
 * like PII (order numbers, timestamps, versions, UUIDs, prices, tracking numbers, card-like numbers
 * failing Luhn, IBANs failing mod-97). Precision and recall are computed per type on exact spans.
 *
 * Floors: precision >= 0.95 and recall >= 0.9 per type. Precision is held as high as recall because
 * a false positive corrupts what the model sees (an order id it must quote back), while the corpus
 * lists every format the detectors claim to support, so a recall below 0.9 means a format broke.
 * Each type has 10 to 15 positives, so one miss per type is tolerated (recall >= 0.9) and a single
 * false positive is not (precision 10/11 < 0.95): the hard negatives were written to trip each
 * validator, so breaking one fails the test (checked by disabling Luhn, then mod-97).
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS, detect } from './detectors.js';

const CORPUS: string[] = [
  // --- e-mail
  'Hi team, please reset the password for ⟦EMAIL|maria.gonzalez@acme-corp.com⟧, she is locked out.',
  'From: ⟦EMAIL|j.smith+orders@shop.example.co.uk⟧ Subject: Where is my parcel?',
  '[2026-03-02T10:14:22Z] INFO mailer: sent receipt to ⟦EMAIL|kevin_o@mail.example.org⟧ (template=receipt_v2)',
  'can u cc ⟦EMAIL|finance@globex.io⟧ on the invoice thx',
  '{"user": {"email": "⟦EMAIL|anna.k@example.de⟧", "plan": "pro"}}',
  'Reply-To: "Support" <⟦EMAIL|support@help.widgets.com⟧>',
  'My new address is ⟦EMAIL|li.wei@university.edu.cn⟧. The old one is closed.',
  'User ⟦EMAIL|TOM.HARDY@EXAMPLE.COM⟧ reported a duplicate charge.',
  'Forwarding to ⟦EMAIL|security-team@corp.internal.net⟧ for triage.',
  'git log: Author: Dev Person <⟦EMAIL|dev.person@users.noreply.github.com⟧>',
  // --- phone
  'Customer called from ⟦PHONE|+44 20 7946 0958⟧ about the late delivery.',
  'Please call me back at ⟦PHONE|(415) 555-0132⟧ after 5pm.',
  'Mobile: ⟦PHONE|+1 212-555-0199⟧, office: ⟦PHONE|212.555.0147⟧',
  'Mon numéro est le ⟦PHONE|06 12 34 56 78⟧, merci de me rappeler.',
  'Rückruf bitte unter ⟦PHONE|+49 30 901820⟧ oder ⟦PHONE|0151 23456789⟧.',
  'Toll free ⟦PHONE|1-800-555-0199⟧ is on the back of the card.',
  'WhatsApp ⟦PHONE|+919876543210⟧ if the courier cannot find the house.',
  'sms sent to=⟦PHONE|+33 1 23 45 67 89⟧ status=delivered',
  'Ring the front desk on ⟦PHONE|020 7946 0018⟧.',
  'Contact number ⟦PHONE|0044 161 496 0753⟧ (UK, from abroad).',
  '<a href="tel:⟦PHONE|+14155550132⟧">Call sales</a>',
  // --- payment cards
  'I was charged twice on my card ⟦CARD|4111 1111 1111 1111⟧, please refund one.',
  'card_number=⟦CARD|5555555555554444⟧ exp=12/28 cvv=***',
  'Amex ⟦CARD|3782 822463 10005⟧ declined at checkout.',
  'Payment with ⟦CARD|6011-1111-1111-1117⟧ failed: insufficient funds.',
  'Test cards: ⟦CARD|4242424242424242⟧ and ⟦CARD|4012888888881881⟧.',
  'Customer read out ⟦CARD|5105 1051 0510 5100⟧ over the phone, please redact.',
  'JCB ⟦CARD|3530111333300000⟧ is not supported in this region.',
  'Mastercard 2-series ⟦CARD|2223 0031 2200 3222⟧ works since the update.',
  'Diners ⟦CARD|3622 720627 1667⟧ charged 14.99 EUR.',
  '{"pan":"⟦CARD|4000056655665556⟧","brand":"visa"}',
  // --- IBAN
  'Please wire the refund to ⟦IBAN|DE89 3704 0044 0532 0130 00⟧.',
  'IBAN: ⟦IBAN|GB82WEST12345698765432⟧ BIC: WESTGB2L',
  'Mon IBAN est ⟦IBAN|FR14 2004 1010 0505 0001 3M02 606⟧.',
  'beneficiary_iban=⟦IBAN|NL91ABNA0417164300⟧ amount=250.00',
  'Transfer from ⟦IBAN|ES91 2100 0418 4502 0005 1332⟧ not received yet.',
  'Conto: ⟦IBAN|IT60X0542811101000000123456⟧',
  'Belgian account ⟦IBAN|BE68 5390 0754 7034⟧ for the deposit.',
  'Swiss IBAN ⟦IBAN|CH93 0076 2011 6238 5295 7⟧ please.',
  'Send it to ⟦IBAN|AT611904300234573201⟧ EUR only.',
  'Polish account ⟦IBAN|PL61 1090 1014 0000 0712 1981 2874⟧.',
  // --- SSN
  'Applicant SSN ⟦SSN|123-45-6789⟧, DOB on file.',
  'W-2 shows SSN: ⟦SSN|078051120⟧ which does not match our records.',
  'ssn=⟦SSN|219-09-9999⟧ name=redacted',
  'Her social security number is ⟦SSN|536-22-8150⟧.',
  'Employee record: SSN ⟦SSN|401-81-3377⟧, start 2024-03-01.',
  'verify ⟦SSN|287-65-4321⟧ against the tax form',
  'SSN#⟦SSN|345678912⟧',
  'The form had ⟦SSN|612 40 1123⟧ written in the box.',
  'Dependents: ⟦SSN|231-54-7788⟧ and ⟦SSN|231-54-7789⟧',
  'KYC: Social Security number ⟦SSN|501-32-1144⟧ verified.',
  // --- IPv4
  'Login from ⟦IPV4|203.0.113.45⟧ blocked after 5 attempts.',
  '⟦IPV4|192.168.1.10⟧ - - [02/Mar/2026:10:14:22 +0000] "GET /api/v2/orders HTTP/1.1" 200 512',
  'client_ip=⟦IPV4|10.0.12.7⟧ upstream=⟦IPV4|172.16.0.2⟧:8080',
  'My home IP is ⟦IPV4|81.2.69.160⟧, can you whitelist it?',
  'X-Forwarded-For: ⟦IPV4|198.51.100.23⟧, ⟦IPV4|10.1.1.1⟧',
  'ping ⟦IPV4|8.8.8.8⟧ works but DNS does not.',
  'The VPN gives me ⟦IPV4|100.64.0.17⟧ as address.',
  'ssh root@⟦IPV4|192.0.2.100⟧ -p 2222',
  'Suspicious traffic: ⟦IPV4|45.33.32.156⟧ scanned ports 22, 80 and 443.',
  'nginx: upstream timed out, client: ⟦IPV4|66.249.66.1⟧, server: api.example.com',
  'The printer is at ⟦IPV4|192.168.0.250⟧ on the office network.',
  // --- IPv6
  'Request from ⟦IPV6|2001:db8::8a2e:370:7334⟧ was rate limited.',
  'listen [⟦IPV6|2001:db8:85a3::7334⟧]:443 ssl;',
  'remote_addr=⟦IPV6|2a02:8071:2a84:1f00:e5c1:9d2b:6a3f:1c2d⟧ ua=Mozilla/5.0',
  'my ipv6 is ⟦IPV6|2600:1700:7c40:5a0::2f⟧ according to whatismyip',
  'Blocked ⟦IPV6|fd12:3456:789a:1::1⟧ at the firewall.',
  'mapped address ⟦IPV6|::ffff:192.0.2.128⟧ seen in logs',
  'peer ⟦IPV6|2001:0db8:0000:0000:0000:ff00:0042:8329⟧ disconnected',
  'Allow ⟦IPV6|2606:4700:4700::1111⟧ and ⟦IPV6|2001:4860:4860::8888⟧ in egress.',
  'ip -6 addr shows ⟦IPV6|fe80::1ff:fe23:4567:890a⟧ on eth0',
  'Geo lookup for ⟦IPV6|2a00:1450:4001:82b::200e⟧ says Frankfurt.',
  // --- secrets
  'here is my key ⟦SECRET|sk-proj-Xq81LmN0pQ4rS7tUv2wY5zA9bC3dE6fG⟧ why does it 401?',
  'export AWS_ACCESS_KEY_ID=⟦SECRET|AKIAIOSFODNN7EXAMPLE⟧',
  'GITHUB_TOKEN: ⟦SECRET|ghp_16C7e42F292c6912E7710c838347Ae178B4a⟧',
  'slack bot token ⟦SECRET|xoxb-2847561928-93847561029-aB3dE5fG7hI9⟧ leaked in channel',
  'curl -H "Authorization: Bearer ⟦SECRET|eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U⟧" https://api.example.com',
  'config: api_key=⟦SECRET|9f8a7b6c5d4e3f2a1b0c9d8e⟧ region=eu',
  '{"token": "⟦SECRET|Zx81kLm02PqRt5vW9yB3⟧", "user": 42}',
  'stripe key ⟦SECRET|sk_live_4eC39HqLyjWDarjtT1zdp7dc⟧ in the .env',
  'maps key ⟦SECRET|AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW⟧ restricted to referrers',
  'DB_PASSWORD=⟦SECRET|Tr0ub4dor&3⟧ in docker-compose.yml',
  'anthropic ⟦SECRET|sk-ant-api03-R2d2C3poBb8Yoda1Luke2Leia3Han4⟧',
  'password: ⟦SECRET|S3cure!Pass⟧ (please change it)',
  'AWS_SECRET_ACCESS_KEY=⟦SECRET|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY⟧',
  'DATABASE_URL=postgres://app_user:⟦SECRET|Qw7!zr9Lp2⟧@db.internal.example.com:5432/orders',
  'Authorization: Basic ⟦SECRET|YWxhZGRpbjpvcGVuc2VzYW1l⟧',

  // --- hard negatives: ids, dates, versions, numbers
  'Order #100234587 shipped on 2026-03-02, tracking 1Z999AA10123456784.',
  'Your order ORD-2024-558812 total is $1,234.56 including VAT.',
  'Invoice INV-00012345 due 03/15/2026, amount 4,999.00 EUR.',
  'Released v1.2.3.4 today; upgrade from 1.2.3 recommended.',
  'Chrome 120.0.6099.109 crashes on the settings page.',
  'request_id=550e8400-e29b-41d4-a716-446655440000 took 123 ms',
  'Timestamp 1709374462 and 1709374462123 in the payload.',
  'Build 2026.03.02.1 deployed to staging at 10:14:22.',
  'The meeting is at 10:30:00 on 2026-03-02, room 4.12.',
  'USPS tracking 9400 1000 0000 0000 0000 00 delivered.',
  'FedEx 7489 2736 4825 in transit.',
  'Card ending 1111 was charged 19.99 USD.',
  'Reference 4111 1111 1111 1112 is not a valid card (checksum).',
  'Account 1234 5678 9012 3456 is the internal ledger id.',
  'Ledger batch 9876543210123456 closed.',
  'IBAN DE89 3704 0044 0532 0130 01 was rejected as invalid by the bank.',
  'Use XX12 3456 7890 1234 5678 90 as the sample format in docs.',
  'GB00 WEST 1234 5698 7654 32 fails validation, ask for the right one.',
  'SKU AB12CDEF3456789012 out of stock.',
  'Serial number 000-12-3456 printed on the device.',
  'Part 666-45-1234 is discontinued.',
  'Batch 912-34-5678 failed QA.',
  'Ticket 123-00-4567 merged into 123-45-0000.',
  'ZIP 94103-1234, phone ext 4412.',
  'Coordinates 48.8566, 2.3522 for the Paris office.',
  'Temperature 21.5C, humidity 45%, pressure 1013.25 hPa.',
  'Score 3.14159265358979 rounded to 3.14.',
  'The OID is 1.3.6.1.4.1.2021 for the agent.',
  'Section 4.2.1.3 of the contract applies.',
  'firmware 10.0.0.1 has the bug, upgrade now.',
  'MAC 00:1A:2B:3C:4D:5E connected at 12:34:56.',
  'In C++ use std::vector<int> and a::b::c scopes.',
  'Ratio 16:9, time 23:59, score 3:1.',
  'Hash sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  'commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 fixed it',
  'sk-learn and sk-image are python packages.',
  'The token expired, please refresh your session.',
  'The key takeaway is that latency dropped 40%.',
  'password: reset it from the settings page',
  'api_key=YOUR_API_KEY_HERE in the sample config',
  'token=placeholder-value-for-docs',
  'Price list: 1299.99, 2499.00, 12,500.00 and 0.99.',
  'Population 8,336,817 in 2023; area 783.8 km2.',
  'ISBN 978-3-16-148410-0 and ISSN 2049-3630.',
  'Order 4155550132 is ready (10-digit order numbers since March).',
  'Call-center queue 2026-03-02 had 1,204 calls.',
  'The range 1-800 covers most cases; codes 555-0100 to 555-0199 are fictional.',
  'EAN 4006381333931 barcode scanned.',
  'Shipment 123456789012 left the warehouse.',
  'Lot 20260302-0001-A passed inspection.',
  'icon@2x.png and logo@3x.png are missing.',
  'Install with npm i @scope/pkg@1.2.3 then run it.',
  'Follow @acme_support on social media.',
  'Email me at jane at example dot com (spelled out).',
  'UUID 123e4567-e89b-12d3-a456-426614174000 and 00000000-0000-0000-0000-000000000000',
  'Version string 2.14.0-rc.1+build.5678',
  'Error code 0x80070005 at offset 0x0040A1B2.',
  'Dates: 02.03.2026, 2/3/26, 2026/03/02, 20260302.',
  'Time window 09:00-17:30 CET, Mon-Fri.',
  'Package python 3.11.4.1 is not a thing but 3.11.4 is.',
  'Check the sum 1,000,000.00 vs 1.000.000,00 formatting.',
  'Route 66, exit 42, mile marker 123.4.',
  'The PIN 4821 was reset.',
  'CVV is never stored; last4=4242 brand=visa.',
  'Ticket JIRA-4521 and PR #8812 linked.',
  'Container id 3f4e5d6c7b8a used 512 MiB.',
  'Span id 00f067aa0ba902b7, trace id 4bf92f3577b34da6a3ce929d0e0e4736.',
  'Matrix dims 1920x1080, 3840 x 2160.',
  'Latitude 40.7128 N, longitude 74.0060 W.',
  'Train ICE 1234 departs 14:05 from platform 7.',
  'AWS region eu-west-1, account 123456789012.',
  'Kubernetes 1.29.3, etcd 3.5.12, containerd 1.7.13.',
  'IPv6 support landed in ::1 loopback tests only.',
  'Stock moved +1.25% to 182.52 on volume 48,221,300.',
  'Phone model iPhone 15 Pro, iOS 17.4.1.',
  'Tax id format 12-3456789 (EIN) is not an SSN.',
  'Meeting id 845 2931 0042, passcode 771200.',
  'Bank sort code 20-00-00 and account 55779911.',
  'Claim number 2026-0302-88812 opened.',
  'Your verification code is 482193.',
  'RMA 77-1234-5678 approved.',
  'Product code 5012345678900 (EAN-13).',
  'Delivery window 2026-03-02T08:00:00+01:00 to 2026-03-02T12:00:00+01:00.',
  'Total: 3 items x 19.99 = 59.97 USD.',
  'ver 4.3.2.1 is deprecated.',
  'Order 6011 1111 1111 1118 placeholder, not a card.',
];

/**
 * Known limitations, outside the scores, printed with what the detectors find so that a change of
 * behaviour shows. A dotted quad is treated as a version only right after a version or section
 * word, so versions named elsewhere in the sentence are still masked as IPv4.
 */
const KNOWN_LIMITATIONS: string[] = [
  'Range 1.2.3.4-1.2.3.9 of the spec versions.',
  'firmware 10.0.0.1 has the bug, 10.0.0.2 fixes it.',
  // IMEIs are 15 Luhn-valid digits with issuer-like prefixes: masked, as CARD.
  'IMEI 490154203237518 is blacklisted.',
  // Exchange codes starting with 0 or 1 are not NANP numbers, though fiction uses them: not masked.
  'Call 555-123-4567 for the demo line.',
];

const MARK = /⟦([A-Z0-9]+)\|([^⟧]*)⟧/g;

interface Labelled {
  text: string;
  spans: { type: string; start: number; end: number }[];
}

function parse(line: string): Labelled {
  const spans: Labelled['spans'] = [];
  let text = '';
  let at = 0;
  for (const m of line.matchAll(MARK)) {
    text += line.slice(at, m.index);
    const value = m[2] ?? '';
    spans.push({ type: m[1] ?? '', start: text.length, end: text.length + value.length });
    text += value;
    at = m.index + m[0].length;
  }
  return { text: text + line.slice(at), spans };
}

const TYPES = ['EMAIL', 'PHONE', 'CARD', 'IBAN', 'SSN', 'IPV4', 'IPV6', 'SECRET'] as const;

describe('PII corpus', () => {
  const rows = CORPUS.map(parse);
  const stats = new Map<string, { tp: number; fp: number; fn: number; positives: number }>(
    TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0, positives: 0 }]),
  );
  const misses: string[] = [];
  for (const row of rows) {
    const found = detect(row.text, BUILTIN_DETECTORS);
    const key = (s: { type: string; start: number; end: number }) => `${s.type}:${s.start}:${s.end}`;
    const expected = new Set(row.spans.map(key));
    const got = new Set(found.map(key));
    for (const s of row.spans) {
      const st = stats.get(s.type)!;
      st.positives++;
      if (got.has(key(s))) st.tp++;
      else {
        st.fn++;
        misses.push(`FN ${s.type} "${row.text.slice(s.start, s.end)}" in: ${row.text}`);
      }
    }
    for (const s of found) {
      if (!expected.has(key(s))) {
        stats.get(s.type)!.fp++;
        misses.push(`FP ${s.type} "${s.value}" in: ${row.text}`);
      }
    }
  }

  it('is big enough and balanced', () => {
    const negatives = rows.filter((r) => r.spans.length === 0).length;
    expect(rows.length).toBeGreaterThanOrEqual(150);
    expect(negatives).toBeGreaterThanOrEqual(rows.length * 0.45);
    for (const t of TYPES) expect(stats.get(t)!.positives, t).toBeGreaterThanOrEqual(10);
  });

  it('meets the precision and recall floors per type', () => {
    const table = TYPES.map((t) => {
      const s = stats.get(t)!;
      const precision = s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp);
      const recall = s.tp / s.positives;
      return {
        type: t,
        positives: s.positives,
        tp: s.tp,
        fp: s.fp,
        fn: s.fn,
        precision: +precision.toFixed(3),
        recall: +recall.toFixed(3),
      };
    });
    const lines = [
      `PII corpus: ${rows.length} lines, ${rows.filter((r) => r.spans.length === 0).length} hard negatives`,
      'type     positives  tp  fp  fn  precision  recall',
      ...table.map(
        (r) =>
          `${r.type.padEnd(8)} ${String(r.positives).padStart(9)} ${String(r.tp).padStart(3)} ${String(r.fp).padStart(3)} ${String(r.fn).padStart(3)}  ${r.precision.toFixed(3).padStart(9)}  ${r.recall.toFixed(3).padStart(6)}`,
      ),
      ...misses,
      ...KNOWN_LIMITATIONS.map(
        (text) =>
          `known limitation: ${JSON.stringify(detect(text).map((f) => `${f.type} ${f.value}`))} in: ${text}`,
      ),
    ];
    console.log(lines.join('\n'));
    for (const r of table) {
      expect(r.precision, `${r.type} precision`).toBeGreaterThanOrEqual(0.95);
      expect(r.recall, `${r.type} recall`).toBeGreaterThanOrEqual(0.9);
    }
  });
});
