/**
 * Message content on spans and in logs: off unless asked for, and then masked with the gateway's PII
 * detectors and cut to a bound, so a trace store never holds a prompt's secrets in full.
 * @module
 */
import { compileDetectors, createMasker, type Detector } from '../../gateway/pii/index.js';
import { cutUtf8 } from '../../tools/result-cap.js';

/** Longest content kept, in UTF-8 bytes. */
export const DEFAULT_CONTENT_BYTES = 4_096;

let detectors: readonly Detector[] | undefined;

/** `value` as JSON text (strings as they are), PII masked and cut to `maxBytes`. */
export function maskedContent(value: unknown, maxBytes = DEFAULT_CONTENT_BYTES): string {
  detectors ??= compileDetectors();
  const masker = createMasker({ mode: 'mask', detectors });
  let text: string;
  try {
    text =
      typeof value === 'string' ? masker.mask(value) : (JSON.stringify(masker.maskJson(value)) ?? 'null');
  } catch {
    text = '[not serializable]';
  }
  return cutUtf8(text, maxBytes);
}
