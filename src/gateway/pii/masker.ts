/**
 * Per-request PII masking: a {@link MaskingSession} replaces findings with placeholders, remembers
 * them, and restores them in the answer (whole, as JSON, or streamed).
 * @module
 */
import { PiiBlockedError } from './blocked-error.js';
import {
  BUILTIN_DETECTORS,
  type BuiltinPiiType,
  type CustomPattern,
  customDetector,
  type Detector,
  detect,
  type PiiSpan,
  type PiiType,
} from './detectors.js';
import {
  formatPlaceholder,
  PLACEHOLDER_RE,
  type PlaceholderLookup,
  restorePlaceholders,
} from './placeholder.js';
import { createStreamRestorer, type StreamRestorer, type StreamRestorerOptions } from './stream-restorer.js';

/**
 * What a route does with PII: `mask` sends placeholders and restores the answer, `block` refuses the
 * request with a {@link PiiBlockedError}, `off` passes everything through untouched.
 */
export type PiiMode = 'mask' | 'block' | 'off';

/** Options of {@link createMasker}. */
export interface MaskerOptions {
  /** @defaultValue 'mask' */
  mode?: PiiMode;
  /**
   * The built-in types to detect.
   * @defaultValue all of them
   */
  types?: readonly BuiltinPiiType[];
  /** Extra patterns, reported under their upper-cased name (`{ name: 'order id' }` → `[ORDER_ID_1]`). */
  customPatterns?: readonly CustomPattern[];
  /** Named in the {@link PiiBlockedError} message. */
  route?: string;
  /**
   * Detectors compiled once with {@link compileDetectors}, to skip compiling custom patterns on
   * every request; when given, `types` and `customPatterns` are ignored.
   */
  detectors?: readonly Detector[];
}

/**
 * The masking state of one request. Not shared across requests: placeholders are numbered per
 * session, and the same value always gets the same placeholder within it.
 */
export interface MaskingSession extends PlaceholderLookup {
  readonly mode: PiiMode;
  /** Masks a string. In `block` mode throws {@link PiiBlockedError} if it holds PII; `off` returns it. */
  mask(text: string): string;
  /**
   * Masks every string leaf of a JSON value (message contents, content-part texts, tool results),
   * returning a new value. A string under the key `arguments` that parses as JSON (an OpenAI
   * tool-call) is masked leaf by leaf and serialized again, so it stays valid JSON. Object keys are
   * not masked. In `block` mode throws one {@link PiiBlockedError} listing every type found.
   */
  maskJson<T>(value: T): T;
  /** Finds PII in a string or JSON value without masking: counts per type, never values. */
  scan(value: unknown): Record<string, number>;
  /** Replaces the placeholders this session issued by their values; others stay as they are. */
  restore(text: string): string;
  /** {@link MaskingSession.restore} over every string leaf; `arguments` strings get JSON escaping. */
  restoreJson<T>(value: T): T;
  /** A restorer for one stream channel (text deltas, or one tool call's argument deltas with `json`). */
  streamRestorer(options?: StreamRestorerOptions): StreamRestorer;
  /** How many distinct values were masked, per type (for traces and metrics; no values). */
  summary(): Record<string, number>;
}

const ARGUMENTS_KEY = 'arguments';

/** Compiles the detectors for a set of options, once, to share between sessions. */
export function compileDetectors(options: Pick<MaskerOptions, 'types' | 'customPatterns'> = {}): Detector[] {
  const wanted = options.types === undefined ? undefined : new Set<PiiType>(options.types);
  const builtins = wanted ? BUILTIN_DETECTORS.filter((d) => wanted.has(d.type)) : [...BUILTIN_DETECTORS];
  return [...builtins, ...(options.customPatterns ?? []).map(customDetector)];
}

/**
 * Creates the masking session for one request.
 * @example
 * const pii = createMasker({ mode: 'mask' });
 * const body = pii.maskJson(request.body);          // "mail [EMAIL_1]"
 * const answer = pii.restoreJson(providerResponse); // "mail jane@example.com"
 */
export function createMasker(options: MaskerOptions = {}): MaskingSession {
  const mode = options.mode ?? 'mask';
  const detectors = options.detectors ?? compileDetectors(options);
  const byKey = new Map<string, string>(); // `${type}\0${value}` → placeholder
  const byPlaceholder = new Map<string, string>();
  const prefixes = new Set<string>();
  const counters = new Map<string, number>(); // last number used per type, reserved ones included
  const distinct = new Map<string, number>();
  // Placeholder-shaped text found in the input is never issued, so restoring cannot rewrite it.
  const reserved = new Set<string>();

  const reserve = (text: string) => {
    if (!text.includes('[')) return;
    for (const m of text.matchAll(PLACEHOLDER_RE)) reserved.add(m[0]);
  };

  const placeholderFor = (span: PiiSpan): string => {
    const key = `${span.type}\0${span.value}`;
    const known = byKey.get(key);
    if (known !== undefined) return known;
    let n = counters.get(span.type) ?? 0;
    let ph: string;
    do ph = formatPlaceholder(span.type, ++n);
    while (reserved.has(ph));
    counters.set(span.type, n);
    distinct.set(span.type, (distinct.get(span.type) ?? 0) + 1);
    byKey.set(key, ph);
    byPlaceholder.set(ph, span.value);
    for (let i = 1; i < ph.length; i++) prefixes.add(ph.slice(0, i));
    return ph;
  };

  const replaceSpans = (text: string): string => {
    const spans = detect(text, detectors);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const s of spans) {
      out += text.slice(at, s.start) + placeholderFor(s);
      at = s.end;
    }
    return out + text.slice(at);
  };

  const maskArguments = (text: string): string => {
    const parsed = parseJsonContainer(text);
    if (parsed === undefined) return replaceSpans(text);
    const before = byPlaceholder.size;
    let changed = false;
    const masked = mapStrings(parsed, (s, key) => {
      const out = key === ARGUMENTS_KEY ? maskArguments(s) : replaceSpans(s);
      if (out !== s) changed = true;
      return out;
    });
    return changed || byPlaceholder.size !== before ? JSON.stringify(masked) : text;
  };

  const count = (text: string, into: Record<string, number>) => {
    for (const s of detect(text, detectors)) into[s.type] = (into[s.type] ?? 0) + 1;
  };

  const session: MaskingSession = {
    mode,
    valueOf: (ph) => byPlaceholder.get(ph),
    isPlaceholderPrefix: (text) => prefixes.has(text),
    mask(text) {
      if (mode === 'off') return text;
      if (mode === 'block') {
        const found: Record<string, number> = {};
        count(text, found);
        if (Object.keys(found).length > 0) throw new PiiBlockedError(found, routeOf(options));
        return text;
      }
      reserve(text);
      return replaceSpans(text);
    },
    maskJson<T>(value: T): T {
      if (mode === 'off') return value;
      if (mode === 'block') {
        const found = session.scan(value);
        if (Object.keys(found).length > 0) throw new PiiBlockedError(found, routeOf(options));
        return value;
      }
      visitStrings(value, reserve);
      return mapStrings(value, (s, key) => (key === ARGUMENTS_KEY ? maskArguments(s) : replaceSpans(s))) as T;
    },
    scan(value) {
      const found: Record<string, number> = {};
      visitStrings(value, (s) => count(s, found));
      return found;
    },
    restore: (text) => restorePlaceholders(text, session),
    restoreJson<T>(value: T): T {
      if (byPlaceholder.size === 0) return value;
      return mapStrings(value, (s, key) => restorePlaceholders(s, session, key === ARGUMENTS_KEY)) as T;
    },
    streamRestorer: (streamOptions) => createStreamRestorer(session, streamOptions),
    summary() {
      const out: Record<string, number> = {};
      for (const [type, n] of distinct) out[type] = n;
      return out;
    },
  };
  return session;
}

function routeOf(options: MaskerOptions): { route?: string } {
  return options.route === undefined ? {} : { route: options.route };
}

function parseJsonContainer(text: string): object | undefined {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    // A partial or invalid arguments string is masked as plain text.
    return undefined;
  }
}

/** Maps every string leaf of a JSON-like value; `key` is the property holding the string, if any. */
function mapStrings(
  value: unknown,
  fn: (s: string, key: string | undefined) => string,
  key?: string,
): unknown {
  if (typeof value === 'string') return fn(value, key);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const mapped = mapStrings(v, fn, k);
      // Assigning "__proto__" (a legal JSON key) would set the prototype instead of a property.
      if (k === '__proto__')
        Object.defineProperty(out, k, {
          value: mapped,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[k] = mapped;
    }
    return out;
  }
  return value;
}

/** Calls `fn` on every string leaf, building nothing. */
function visitStrings(value: unknown, fn: (s: string) => void): void {
  if (typeof value === 'string') fn(value);
  else if (Array.isArray(value)) for (const v of value) visitStrings(v, fn);
  else if (value !== null && typeof value === 'object' && isPlainObject(value))
    for (const v of Object.values(value)) visitStrings(v, fn);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
