import { describe, expect, it } from 'vitest';
import { customDetector, detect, resolveOverlaps } from './detectors.js';
import { ibanValid, ipv6Valid, luhnValid, ssnValid } from './validators.js';

const found = (text: string) => detect(text).map((s) => [s.type, s.value]);
const only = (type: string, text: string) =>
  detect(text)
    .filter((s) => s.type === type)
    .map((s) => s.value);

describe('validators', () => {
  it('Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('')).toBe(false);
  });
  it('IBAN mod-97 and country length', () => {
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false); // checksum
    expect(ibanValid('DE8937040044053201300')).toBe(false); // length
    expect(ibanValid('ZZ89370400440532013000')).toBe(false); // country
  });
  it('SSN area, group and serial', () => {
    expect(ssnValid('123', '45', '6789')).toBe(true);
    for (const [a, g, s] of [
      ['000', '45', '6789'],
      ['666', '45', '6789'],
      ['900', '45', '6789'],
      ['123', '00', '6789'],
      ['123', '45', '0000'],
    ] as const) {
      expect(ssnValid(a, g, s)).toBe(false);
    }
  });
  it('IPv6 parser', () => {
    for (const ok of [
      '2001:db8::8a2e:370:7334',
      '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
      '::ffff:192.0.2.1',
      '2001:db8::1',
    ]) {
      expect(ipv6Valid(ok), ok).toBe(true);
    }
    for (const bad of [
      '10:30:00',
      '00:1A:2B:3C:4D:5E',
      '1::2::3',
      '2001:db8:85a3:0:0:8a2e:370',
      '12345::1:2',
      'a::b',
    ]) {
      expect(ipv6Valid(bad), bad).toBe(false);
    }
  });
});

describe('EMAIL', () => {
  it('finds addresses', () => {
    expect(only('EMAIL', 'write to jane.doe+billing@mail.example.co.uk.')).toEqual([
      'jane.doe+billing@mail.example.co.uk',
    ]);
    expect(only('EMAIL', '<ops@acme.io>, "x_y@foo-bar.com"')).toEqual(['ops@acme.io', 'x_y@foo-bar.com']);
  });
  it('skips asset names and handles', () => {
    expect(only('EMAIL', 'icon@2x.png, @octocat, npm i pkg@1.2.3, user@localhost')).toEqual([]);
  });
});

describe('PHONE', () => {
  it('finds international, US and national formats', () => {
    const text =
      'Call +44 20 7946 0958, +1 (415) 555-0132, +4930901820, 0044 20 7946 0958, (415) 555-0132, 415-555-0132, 415.555.0132, 1-800-555-0199, 06 12 34 56 78, 0151 23456789 or +33 1 23 45 67 89.';
    expect(only('PHONE', text)).toEqual([
      '+44 20 7946 0958',
      '+1 (415) 555-0132',
      '+4930901820',
      '0044 20 7946 0958',
      '(415) 555-0132',
      '415-555-0132',
      '415.555.0132',
      '1-800-555-0199',
      '06 12 34 56 78',
      '0151 23456789',
      '+33 1 23 45 67 89',
    ]);
    expect(only('PHONE', 'tel:+14155550132, +7 (495) 123-45-67')).toEqual([
      '+14155550132',
      '+7 (495) 123-45-67',
    ]);
  });
  it('skips dates, times, plain numbers, versions and ids', () => {
    const text =
      'On 2024-01-15 10:30:00 (ts 1705314600) order 4155550132 ref 12-34-56 v1.2.3.4 build 2024.01.15 total 1,234.56 ZIP 94103-1234 ext 555-0132 ISBN 978-3-16-148410-0';
    expect(only('PHONE', text)).toEqual([]);
  });
});

describe('CARD', () => {
  it('finds Luhn-valid cards in common layouts', () => {
    expect(
      only(
        'CARD',
        'Visa 4111 1111 1111 1111, MC 5555-5555-5555-4444, Amex 3782 822463 10005, 6011111111111117',
      ),
    ).toEqual(['4111 1111 1111 1111', '5555-5555-5555-4444', '3782 822463 10005', '6011111111111117']);
  });
  it('skips non-Luhn, odd grouping, unknown issuers and timestamps', () => {
    expect(
      only(
        'CARD',
        '4111 1111 1111 1112, 4111-1111 1111-1111, 41 11 11 11 11 11 11 11, 1700000000000, 9111111111111111, 12345678901234567890',
      ),
    ).toEqual([]);
  });
});

describe('IBAN', () => {
  it('finds IBANs, compact or grouped, and stops at the country length', () => {
    expect(only('IBAN', 'pay DE89 3704 0044 0532 0130 00 EUR or GB82WEST12345698765432.')).toEqual([
      'DE89 3704 0044 0532 0130 00',
      'GB82WEST12345698765432',
    ]);
  });
  it('skips bad checksums and unknown countries', () => {
    expect(only('IBAN', 'DE89370400440532013001 XX89370400440532013000 DE00 1234 5678 9012 3456 78')).toEqual(
      [],
    );
  });
});

describe('SSN', () => {
  it('finds dashed, spaced and labelled forms', () => {
    expect(only('SSN', 'SSN 123-45-6789, 219 09 9999, SSN: 078051120')).toEqual([
      '123-45-6789',
      '219 09 9999',
      '078051120',
    ]);
  });
  it('skips invalid areas, groups, serials and bare numbers', () => {
    expect(only('SSN', '000-12-3456 666-12-3456 912-34-5678 123-00-4567 123-45-0000 ref 123456789')).toEqual(
      [],
    );
  });
});

describe('IP addresses', () => {
  it('finds IPv4 with valid octets', () => {
    expect(only('IPV4', 'from 192.168.1.10, 8.8.8.8 and 10.0.0.1.')).toEqual([
      '192.168.1.10',
      '8.8.8.8',
      '10.0.0.1',
    ]);
  });
  it('skips versions, bad octets and longer dotted runs', () => {
    expect(
      only('IPV4', 'v1.2.3.4, version 10.0.0.1, 300.1.1.1, 1.2.3.4.5, 01.02.03.04, OID 1.3.6.1.4.1'),
    ).toEqual([]);
  });
  it('finds IPv6 and skips times, MACs and C++ scopes', () => {
    expect(only('IPV6', 'client 2001:db8::8a2e:370:7334, [2001:db8:85a3::7334]:443 at 10:30:00')).toEqual([
      '2001:db8::8a2e:370:7334',
      '2001:db8:85a3::7334',
    ]);
    expect(only('IPV6', 'mac 00:1A:2B:3C:4D:5E std::vector a::b 12:34:56')).toEqual([]);
  });
});

describe('SECRET', () => {
  it('finds prefixed keys', () => {
    const keys = [
      'sk-proj-abc123DEF456ghi789JKL012',
      'sk-ant-api03-AbC123dEf456GhI789jKl0',
      'AKIAIOSFODNN7EXAMPLE',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'xoxb-123456789012-abcdefABCDEF',
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW',
    ];
    expect(only('SECRET', keys.join(' and '))).toEqual(keys);
  });
  it('finds high-entropy values after key=, token: and Bearer, and passwords', () => {
    expect(
      only(
        'SECRET',
        'api_key=9f8a7b6c5d4e3f2a1b0c "token": "Zx81kLm02PqRt5vW9yB3" Bearer 7hG2kP9qL4mX8nR1 password=Hunter2!x',
      ),
    ).toEqual(['9f8a7b6c5d4e3f2a1b0c', 'Zx81kLm02PqRt5vW9yB3', '7hG2kP9qL4mX8nR1', 'Hunter2!x']);
  });
  it('finds Basic credentials and passwords in URLs, and does not report the URL as an e-mail', () => {
    expect(found('Authorization: Basic dXNlcjpwYXNzd29yZA==')).toEqual([['SECRET', 'dXNlcjpwYXNzd29yZA==']]);
    expect(found('DATABASE_URL=postgres://admin:P4ssw0rd!x@db.example.com:5432/app')).toEqual([
      ['SECRET', 'P4ssw0rd!x'],
    ]);
    expect(found('mailto:jane@example.com')).toEqual([['EMAIL', 'jane@example.com']]);
  });
  it('skips words, low-entropy values and ids', () => {
    expect(
      only(
        'SECRET',
        'sk-some-long-feature-flag-name, key=aaaaaaaaaaaaaaaaaaaa1, token=expired, the key takeaway, password: changeme, sk-1',
      ),
    ).toEqual([]);
  });
});

describe('overlaps and custom patterns', () => {
  it('keeps the longest span, then the most specific', () => {
    const spans = [
      { start: 0, end: 10, type: 'PHONE', value: '' },
      { start: 5, end: 20, type: 'SECRET', value: '' },
      { start: 20, end: 30, type: 'PHONE', value: '' },
      { start: 20, end: 30, type: 'IPV4', value: '' },
    ];
    const rank: Record<string, number> = { PHONE: 1, IPV4: 2, SECRET: 3 };
    expect(resolveOverlaps(spans, (t) => rank[t] ?? 0).map((s) => [s.type, s.start])).toEqual([
      ['SECRET', 5],
      ['IPV4', 20],
    ]);
    // A card number glued to letters is part of a token, not a card.
    expect(found('id 4111111111111111abcd')).toEqual([]);
    // 192.168.100.200 is an IPv4, not a phone.
    expect(found('host 192.168.100.200')).toEqual([['IPV4', '192.168.100.200']]);
  });
  it('runs custom patterns with an upper-cased name', () => {
    const d = customDetector({ name: 'employee id', pattern: 'EMP-\\d{6}' });
    expect(detect('badge EMP-004211 for jane@x.io', [d])).toEqual([
      { start: 6, end: 16, type: 'EMPLOYEE_ID', value: 'EMP-004211' },
    ]);
    const r = customDetector({ name: 'ticket', pattern: /TCK\d+/ });
    expect(detect('TCK1 TCK22', [r]).map((s) => s.value)).toEqual(['TCK1', 'TCK22']);
    expect(() => customDetector({ name: '9lives', pattern: 'x' })).toThrow(/must start with a letter/);
  });
  it('resolves a chain of overlaps by length, then priority', () => {
    const spans = [
      { start: 0, end: 4, type: 'A', value: '' },
      { start: 3, end: 9, type: 'B', value: '' },
      { start: 8, end: 12, type: 'A', value: '' },
      { start: 20, end: 22, type: 'A', value: '' },
    ];
    expect(resolveOverlaps(spans, () => 0).map((s) => [s.type, s.start])).toEqual([
      ['B', 3],
      ['A', 20],
    ]);
  });
  it('ignores empty matches of a custom pattern', () => {
    expect(detect('abc', [customDetector({ name: 'empty', pattern: 'x*' })])).toEqual([]);
  });
});

describe('private keys and linear time', () => {
  it('masks a whole PEM private-key block', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc==\n-----END RSA PRIVATE KEY-----';
    expect(found(`key:\n${pem}\nthanks`)).toEqual([['SECRET', pem]]);
    expect(found('-----BEGIN PRIVATE KEY----- truncated')).toEqual([]);
  });
  it('stays fast on adversarial input', () => {
    // Each string targets a quantifier that a careless regex would backtrack over.
    const evil = [
      '1 ',
      '1-',
      'a.',
      ':',
      '1:',
      'A1',
      'key=',
      '[',
      '+1 (',
      '1.',
      'DE89 ',
      '-----BEGIN PRIVATE KEY-----',
      'a@b.io 8.8.8.8 ', // thousands of findings: overlap resolution must not be quadratic
    ];
    const started = performance.now();
    for (const e of evil) detect(e.repeat(Math.ceil(50_000 / e.length)));
    // About 30 ms on a laptop; quadratic behaviour would take seconds.
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
