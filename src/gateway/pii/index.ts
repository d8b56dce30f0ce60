/**
 * PII masking for the LLM gateway: detectors, a per-request masking session with reversible
 * placeholders, and a stream restorer. Pure: no I/O, no dependencies beyond the language.
 *
 * Flow for one request on a `mask` route:
 * 1. `const pii = createMasker({ mode: route.pii })`
 * 2. send `pii.maskJson(body)` to the provider;
 * 3. return `pii.restoreJson(response)`, or for a stream feed each channel's deltas through its own
 *    `pii.streamRestorer()` (`{ json: true }` for tool-call argument deltas).
 *
 * What is detected: e-mail addresses, phone numbers (international with `+`/`00`, US with area code,
 * national with trunk `0`), payment cards (13-19 digits, issuer prefix 2-6, Luhn), IBANs (country
 * length and mod-97), US SSNs (area/group/serial rules), IPv4 (octet ranges), IPv6 (parsed), secrets
 * (`sk-`, `AKIA`, `ghp_`, `xox?-`, `AIza`, `glpat-`, Stripe keys, JWTs, private-key blocks, and
 * high-entropy values after `key=`/`token=`/`secret:`/`Bearer`, passwords after `password=`), and
 * custom patterns.
 *
 * Deliberately not masked: bare digit runs (order ids, timestamps, tracking numbers; nine digits
 * right after an `SSN` label are the exception), dates and times, prices, UUIDs, hashes, card-like
 * numbers failing Luhn or with an issuer digit outside 2-6, IBAN-like strings failing mod-97 (and
 * lower-case IBANs), dotted quads right after a version or section word (`v`, `version`, `build`,
 * `python`, `section`, ...), short compressed IPv6 like `::1` or `fe80::1`, 7-digit US numbers
 * without an area code, names and postal addresses (they need an NER model, not patterns), and
 * JSON object keys. A dotted quad whose version word is further away is masked as an IPv4: leaking
 * an address costs more than hiding a version.
 * @module
 */
export { PiiBlockedError } from './blocked-error.js';
export {
  BUILTIN_DETECTORS,
  type BuiltinPiiType,
  type CustomPattern,
  customDetector,
  type Detector,
  detect,
  type PiiSpan,
  type PiiType,
} from './detectors.js';
export {
  compileDetectors,
  createMasker,
  type MaskerOptions,
  type MaskingSession,
  type PiiMode,
} from './masker.js';
export {
  formatPlaceholder,
  PLACEHOLDER_RE,
  type PlaceholderLookup,
  restorePlaceholders,
} from './placeholder.js';
export { createStreamRestorer, type StreamRestorer, type StreamRestorerOptions } from './stream-restorer.js';
export { ibanValid, ipv6Valid, luhnValid, shannonEntropy, ssnValid } from './validators.js';
