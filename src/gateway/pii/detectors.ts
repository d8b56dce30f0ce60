/**
 * PII detectors: each one finds {@link PiiSpan}s in a string. Pure, no I/O, linear time: every
 * regex is precompiled, has bounded quantifiers and no nested ambiguous repetition; the checks a
 * regex cannot express (Luhn, mod-97, octet ranges, phone grouping) run in code on the candidate.
 *
 * Glossary:
 * - **span**: `[start, end)` offsets of one finding in the scanned string, with its type and value.
 * - **validator**: a checksum or structural rule a candidate must pass (Luhn, IBAN mod-97, SSN areas).
 * - **custom pattern**: a caller's `{ name, pattern }`, reported with the type `name` upper-cased.
 * @module
 */

import { ibanLength, ibanValid, ipv6Valid, luhnValid, shannonEntropy, ssnValid } from './validators.js';

/** The built-in kinds of personal or secret data. Custom patterns add their own names. */
export type BuiltinPiiType = 'EMAIL' | 'PHONE' | 'CARD' | 'IBAN' | 'SSN' | 'IPV4' | 'IPV6' | 'SECRET';

/** A built-in type or the upper-cased name of a custom pattern. */
export type PiiType = BuiltinPiiType | (string & {});

/** One finding: `text.slice(start, end) === value`. */
export interface PiiSpan {
  start: number;
  end: number;
  type: PiiType;
  value: string;
}

/** A caller-defined pattern. A string is compiled as a regex source with the `g` flag. */
export interface CustomPattern {
  /** Becomes the type and the placeholder label, upper-cased, non-alphanumerics replaced by `_`. */
  name: string;
  /** Must not match the empty string; keep it free of nested quantifiers (it runs on every request). */
  pattern: RegExp | string;
}

/** A compiled detector: returns the spans it finds, already validated. */
export interface Detector {
  readonly type: PiiType;
  /** Breaks ties between overlapping spans of equal length: higher wins. */
  readonly priority: number;
  find(text: string): PiiSpan[];
}

// ---------------------------------------------------------------------------------------------
// Built-in detectors

function regexDetector(
  type: PiiType,
  priority: number,
  re: RegExp,
  accept: (m: RegExpExecArray, text: string) => PiiSpan | undefined,
  gate?: (text: string) => boolean,
): Detector {
  return {
    type,
    priority,
    find(text) {
      if (gate && !gate(text)) return [];
      const out: PiiSpan[] = [];
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const span = accept(m, text);
        if (span) out.push(span);
      }
      return out;
    },
  };
}

const whole = (type: PiiType, m: RegExpExecArray): PiiSpan => ({
  start: m.index,
  end: m.index + m[0].length,
  type,
  value: m[0],
});

const isV6Char = (c: number) =>
  (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46; // 0-9 : A-F a-f .
const isWordChar = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

// Image and asset names like `icon@2x.png` have an email's shape.
const FILE_TLDS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'pdf', 'js', 'ts', 'css']);
const EMAIL_DOMAIN = /(?:[A-Za-z0-9-]{1,63}\.){1,8}([A-Za-z]{2,24})(?![A-Za-z0-9-])/y;
const isLocalChar = (c: number) => isWordChar(c) || c === 46 || c === 37 || c === 43 || c === 45; // . % + -
const isAlnum = (c: number) => isWordChar(c) && c !== 95;

const URL_USERINFO = /:\/\/[^\s/@]{0,80}$/;

// Anchored on each "@": the local part is grown to the left (at most 64 characters, starting with a
// letter or digit), the domain is matched to the right.
const email: Detector = {
  type: 'EMAIL',
  priority: 50,
  find(text) {
    const out: PiiSpan[] = [];
    for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
      let start = at;
      while (start > 0 && isLocalChar(text.charCodeAt(start - 1))) start--;
      if (start === at || at - start > 64 || !isAlnum(text.charCodeAt(start))) continue;
      // `scheme://user:password@host` is a credential, found by the URL-credentials detector.
      if (URL_USERINFO.test(text.slice(Math.max(0, start - 90), start))) continue;
      EMAIL_DOMAIN.lastIndex = at + 1;
      const m = EMAIL_DOMAIN.exec(text);
      if (!m || FILE_TLDS.has((m[1] ?? '').toLowerCase())) continue;
      const end = EMAIL_DOMAIN.lastIndex;
      out.push({ start, end, type: 'EMAIL', value: text.slice(start, end) });
    }
    return out;
  },
};

// A run of digits with single spaces or dashes, 13-19 digits; grouping and Luhn are checked below.
const CARD_RE = /(?<!\w|\d[ -])\d(?:[ -]?\d){12,18}(?![ -]?\d|[A-Za-z_])/g;

const card = regexDetector('CARD', 70, CARD_RE, (m) => {
  const raw = m[0];
  const digits = raw.replace(/[ -]/g, '');
  // Issuer prefixes 2-6 (Mastercard 2-series, Amex/Diners/JCB 3, Visa 4, Mastercard 5, Discover/
  // UnionPay 6): drops millisecond timestamps (1...) and most ids, which Luhn alone passes 1 in 10.
  const first = digits[0];
  if (first === undefined || first < '2' || first > '6') return undefined;
  const seps = raw.match(/[ -]/g);
  if (seps) {
    if (!seps.every((s) => s === seps[0])) return undefined;
    const groups = raw.split(seps[0]!).map((g) => g.length);
    if (groups.some((g) => g < 3 || g > 6)) {
      // 4-4-4-4-1..3 (19-digit cards) is the one layout with a short last group.
      const head = groups.slice(0, -1);
      const last = groups[groups.length - 1] ?? 0;
      if (!(head.every((g) => g === 4) && last >= 1 && last <= 3)) return undefined;
    }
  }
  return luhnValid(digits) ? whole('CARD', m) : undefined;
});

const IBAN_RE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g;

const iban = regexDetector('IBAN', 80, IBAN_RE, (m) => {
  const raw = m[0];
  const expected = ibanLength(raw.slice(0, 2));
  if (expected === undefined) return undefined;
  // The greedy match may run into a following upper-case word ("... 00 EUR"): cut at the
  // country's length, which must fall on a group boundary.
  let count = 0;
  let end = 0;
  for (; end < raw.length && count < expected; end++) if (raw[end] !== ' ') count++;
  if (count !== expected || (end < raw.length && raw[end] !== ' ')) return undefined;
  const value = raw.slice(0, end);
  if (!ibanValid(value.replace(/ /g, ''))) return undefined;
  return { start: m.index, end: m.index + end, type: 'IBAN', value };
});

// Dashed or spaced 3-2-4 form, or nine bare digits right after the word SSN.
// (A lookbehind for the label would be tried at every position: ten times slower.)
const SSN_RE =
  /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])|\b(?:SSN|ssn|[Ss]ocial [Ss]ecurity(?: [Nn]umber| No\.?)?)[#:]?\s{0,3}(\d{3})(\d{2})(\d{4})(?!\d)/g;

const ssn = regexDetector('SSN', 60, SSN_RE, (m) => {
  const dashed = m[1] !== undefined;
  const [area, group, serial] = dashed ? [m[1], m[3], m[4]] : [m[5], m[6], m[7]];
  if (area === undefined || group === undefined || serial === undefined) return undefined;
  if (!ssnValid(area, group, serial)) return undefined;
  if (dashed) return whole('SSN', m);
  const end = m.index + m[0].length;
  return { start: end - 9, end, type: 'SSN', value: area + group + serial };
});

const IPV4_RE = /(?<![\w.]|\d\.)(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)/g;
// A dotted quad right after one of these words is a version or section number, not an address.
const VERSION_CONTEXT =
  /(?:\b(?:version|ver|v|release|build|firmware|fw|driver|chrome|firefox|safari|edge|app|python|node|java|kernel|ios|android|windows|section|sec|chapter|clause|article|para|rule|step)|§)[\s:=]{0,3}$/i;

const ipv4 = regexDetector('IPV4', 40, IPV4_RE, (m, text) => {
  for (const octet of m[0].split('.')) {
    if (octet.length > 1 && octet[0] === '0') return undefined;
    if (Number(octet) > 255) return undefined;
  }
  if (VERSION_CONTEXT.test(text.slice(Math.max(0, m.index - 14), m.index))) return undefined;
  return whole('IPV4', m);
});

// Grows a run of hex digits, colons and dots around each colon and parses it; a regex with a
// lookahead would be tried at every position of the text, this only where a colon is.
const ipv6: Detector = {
  type: 'IPV6',
  priority: 45,
  find(text) {
    const out: PiiSpan[] = [];
    let from = 0;
    for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', from)) {
      let start = colon;
      while (start > 0 && isV6Char(text.charCodeAt(start - 1))) start--;
      let end = colon + 1;
      while (end < text.length && isV6Char(text.charCodeAt(end))) end++;
      from = end;
      if (start > 0 && isWordChar(text.charCodeAt(start - 1))) continue;
      if (end < text.length && isWordChar(text.charCodeAt(end))) continue;
      let value = text.slice(start, end);
      while (value.endsWith('.')) value = value.slice(0, -1);
      if (value.endsWith(':') && !value.endsWith('::')) value = value.slice(0, -1);
      if (value.length < 2 || value.length > 45 || value.startsWith('.') || !ipv6Valid(value)) continue;
      out.push({ start, end: start + value.length, type: 'IPV6', value });
    }
    return out;
  },
};

// A run that starts with +, ( or a digit and holds digits, spaces, dots, dashes and parentheses;
// the grouping rules below decide whether it is a phone number. "+" may follow a colon (`tel:+1...`),
// a digit may not (`10:30`).
const PHONE_RE = /(?:(?<![\w+.\-/])\+|(?<![\w+.\-/:])[(\d])[\d ().-]{5,22}\d(?![\w/:]|[.-]\d)/g;
const US_PHONE = /^(?:1[ .-]?)?(?:\(([2-9]\d{2})\) ?|([2-9]\d{2})([ .-]))[2-9]\d{2}([ .-])\d{4}$/;
const NATIONAL_PHONE = /^(?:\(0\d{1,4}\) ?|0\d{1,4}[ .-])\d{2,8}(?:[ .-]\d{2,4}){0,3}$/;
const DATE_LIKE = /^(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4})$/;

/** Whether a candidate run has the grouping of a phone number (international, US or national). */
export function phoneShapeValid(raw: string): boolean {
  const digits = raw.replace(/\D/g, '');
  if (DATE_LIKE.test(raw)) return false;
  if (raw.startsWith('+') || raw.startsWith('00')) {
    const n = raw.startsWith('+') ? digits.length : digits.length - 2;
    // E.164 allows 15 digits; fewer than 8 is a short code or a number, not a reachable phone.
    if (n < 8 || n > 15) return false;
    // Separators are single characters between groups; "+44 (0)20 ..." is allowed.
    return !/[ .-]{2}|\(\)|\d\(|\)\d\(/.test(raw) && /^(?:\+|00)[1-9]/.test(raw);
  }
  const us = US_PHONE.exec(raw);
  // Mixed separators in "415-555.0132" are allowed only with parentheses around the area code.
  if (us) return us[1] !== undefined || us[3] === us[4];
  return NATIONAL_PHONE.test(raw) && digits.length >= 9 && digits.length <= 12;
}

const phone = regexDetector('PHONE', 30, PHONE_RE, (m) => {
  let value = m[0];
  let start = m.index;
  // A leading "(" that is not an area code, e.g. "(call +44 ...)", is not part of the number.
  if (value.startsWith('(') && !/^\(\d{1,4}\)/.test(value)) {
    value = value.slice(1);
    start++;
  }
  if (!phoneShapeValid(value)) return undefined;
  return { start, end: start + value.length, type: 'PHONE', value };
});

const SECRET_PREFIXED_RE = new RegExp(
  [
    String.raw`\bsk-[A-Za-z0-9_-]{20,200}`, // OpenAI, Anthropic (sk-ant-...), DeepSeek
    String.raw`\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,200}`, // Stripe
    String.raw`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`, // AWS access key ids
    String.raw`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`, // GitHub tokens
    String.raw`\bgithub_pat_[A-Za-z0-9_]{22,255}`,
    String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,250}`, // Slack
    String.raw`\bAIza[0-9A-Za-z_-]{35}`, // Google API keys
    String.raw`\bglpat-[A-Za-z0-9_-]{20,255}`, // GitLab
    String.raw`\beyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{0,1000}`, // JWT
  ].join('|'),
  'g',
);

const secretPrefixed = regexDetector('SECRET', 90, SECRET_PREFIXED_RE, (m) => {
  // "sk-" ids made of words ("sk-some-feature-flag-name") are not keys: keys carry digits.
  if (m[0].startsWith('sk-') && !/\d/.test(m[0])) return undefined;
  return whole('SECRET', m);
});

// `api_key=...`, `"token": "..."`, `Authorization: Bearer ...`: only the value is masked. The
// keyword may end an upper-case env name (`DB_PASSWORD=`, `AWS_SECRET_ACCESS_KEY=`).
const SECRET_ASSIGNED_RE =
  /(?<![A-Za-z0-9])(?:api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|token|secret|key|bearer|password|passwd|pwd|basic)["']?(?:\s{0,3}[:=]\s{0,3}["']?|\s{1,3})([^\s"'`,;<>()[\]{}]{8,400})/gi;
const PASSWORD_KEY = /^(?:password|passwd|pwd)/i;

const secretAssigned = regexDetector('SECRET', 85, SECRET_ASSIGNED_RE, (m) => {
  // A sentence's full stop is not part of the value.
  const value = (m[1] ?? '').replace(/\.+$/, '');
  const start = m.index + m[0].length - (m[1] ?? '').length;
  const isPassword = PASSWORD_KEY.test(m[0]);
  // Base64 of "user:password" after "Basic" need not contain a digit.
  const isBasic = /^basic/i.test(m[0]);
  // Passwords after "=" or ":" are masked from 8 characters if they mix in a digit or symbol;
  // other values must look random: 16+ characters, letters and digits, entropy >= 3.5 bits/char.
  const ok = isPassword
    ? value.length >= 8 &&
      /[:=]/.test(m[0].slice(0, start - m.index)) &&
      /[A-Za-z]/.test(value) &&
      /[^A-Za-z]/.test(value)
    : value.length >= 16 &&
      /[A-Za-z]/.test(value) &&
      (isBasic ? /[a-z]/.test(value) && /[A-Z]/.test(value) : /\d/.test(value)) &&
      shannonEntropy(value) >= 3.5;
  return ok ? { start, end: start + value.length, type: 'SECRET', value } : undefined;
});

// `scheme://user:password@host`: the password is masked (the user name is usually a role).
const URL_CREDENTIALS_RE = /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s:/@]{1,64}:([^\s/@]{1,128})@/g;

const urlCredentials = regexDetector(
  'SECRET',
  88,
  URL_CREDENTIALS_RE,
  (m) => {
    const value = m[1] ?? '';
    const start = m.index + m[0].length - 1 - value.length;
    return { start, end: start + value.length, type: 'SECRET', value };
  },
  (t) => t.includes('://'),
);

const KEY_HEADER = /-----BEGIN (?:[A-Z]{1,20} )?PRIVATE KEY-----/y;
const KEY_FOOTER = /-----END (?:[A-Z]{1,20} )?PRIVATE KEY-----/y;

// PEM private-key blocks, found with indexOf: a lazy regex would rescan the text from every header.
const privateKey: Detector = {
  type: 'SECRET',
  priority: 95,
  find(text) {
    const out: PiiSpan[] = [];
    let from = 0;
    for (
      let begin = text.indexOf('-----BEGIN ', from);
      begin !== -1;
      begin = text.indexOf('-----BEGIN ', from)
    ) {
      from = begin + 11;
      KEY_HEADER.lastIndex = begin;
      if (!KEY_HEADER.test(text)) continue;
      let footer = text.indexOf('-----END ', KEY_HEADER.lastIndex);
      while (footer !== -1) {
        KEY_FOOTER.lastIndex = footer;
        if (KEY_FOOTER.test(text)) break;
        footer = text.indexOf('-----END ', footer + 9);
      }
      // No footer after this header means none after any later header either.
      if (footer === -1) break;
      out.push({
        start: begin,
        end: KEY_FOOTER.lastIndex,
        type: 'SECRET',
        value: text.slice(begin, KEY_FOOTER.lastIndex),
      });
      from = KEY_FOOTER.lastIndex;
    }
    return out;
  },
};

/** The built-in detectors, in no particular order (overlaps are resolved by {@link resolveOverlaps}). */
export const BUILTIN_DETECTORS: readonly Detector[] = [
  email,
  card,
  iban,
  ssn,
  ipv4,
  ipv6,
  phone,
  secretPrefixed,
  secretAssigned,
  urlCredentials,
  privateKey,
];

/** Normalises a custom pattern's name into a placeholder label: `order id` → `ORDER_ID`. */
export function customTypeName(name: string): string {
  const label = name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[A-Z][A-Z0-9_]{0,23}$/.test(label)) {
    throw new TypeError(
      `custom PII pattern name "${name}" must start with a letter and have at most 24 letters, digits or _`,
    );
  }
  return label;
}

/** Compiles a custom pattern into a detector. Custom findings win ties against built-ins. */
export function customDetector(custom: CustomPattern): Detector {
  const type = customTypeName(custom.name);
  const src = custom.pattern;
  // Global so that every match is found; never sticky, which would stop at the first gap.
  const re =
    typeof src === 'string'
      ? new RegExp(src, 'g')
      : new RegExp(src.source, `${src.flags.replace(/[gy]/g, '')}g`);
  return regexDetector(type, 100, re, (m) => whole(type, m));
}

/**
 * Keeps a non-overlapping subset of spans: the longest wins, then the higher priority, then the
 * earlier start. Returns them sorted by start.
 */
export function resolveOverlaps(spans: PiiSpan[], priorityOf: (type: PiiType) => number): PiiSpan[] {
  if (spans.length < 2) return spans;
  const byStart = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: PiiSpan[] = [];
  // Overlaps only happen inside clusters of spans that chain into each other, which are small; the
  // quadratic choice runs per cluster so that a text with thousands of findings stays linear.
  let cluster: PiiSpan[] = [];
  let clusterEnd = -1;
  const flush = () => {
    if (cluster.length === 1) out.push(cluster[0]!);
    else if (cluster.length > 1) out.push(...chooseInCluster(cluster, priorityOf));
    cluster = [];
  };
  for (const s of byStart) {
    if (s.start >= clusterEnd) flush();
    cluster.push(s);
    clusterEnd = Math.max(clusterEnd, s.end);
  }
  flush();
  return out;
}

function chooseInCluster(spans: PiiSpan[], priorityOf: (type: PiiType) => number): PiiSpan[] {
  const ranked = [...spans].sort(
    (a, b) =>
      b.end - b.start - (a.end - a.start) || priorityOf(b.type) - priorityOf(a.type) || a.start - b.start,
  );
  const kept: PiiSpan[] = [];
  for (const s of ranked) {
    if (kept.every((k) => s.end <= k.start || s.start >= k.end)) kept.push(s);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Runs detectors over a text and returns non-overlapping spans sorted by start. */
export function detect(text: string, detectors: readonly Detector[] = BUILTIN_DETECTORS): PiiSpan[] {
  const spans: PiiSpan[] = [];
  const priorities = new Map<PiiType, number>();
  for (const d of detectors) {
    priorities.set(d.type, Math.max(priorities.get(d.type) ?? 0, d.priority));
    for (const s of d.find(text)) spans.push(s);
  }
  return resolveOverlaps(spans, (t) => priorities.get(t) ?? 0);
}
