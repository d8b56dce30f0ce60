/**
 * Durations as authors write them in specs and options: `250ms`, `5s`, `1h30m`, ISO-8601 `PT5M`, or a
 * number of milliseconds.
 * @module
 */
import { BatonError } from './errors.js';

const UNIT_MS = {
  w: 604_800_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const;

type Unit = keyof typeof UNIT_MS;

/** Units from largest to smallest: a compound duration must list them in this order. */
const UNITS = Object.keys(UNIT_MS) as Unit[];

const COMPOUND = /^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+$/;
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g;
const ISO =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const EXAMPLES = 'such as "250ms", "5s", "10m", "1h30m", "3d", "PT5M", or a number of milliseconds';

/**
 * Parses a duration into milliseconds (rounded to a whole number).
 *
 * Accepts a non-negative number of milliseconds, a compound of `ms`, `s`, `m`, `h`, `d`, `w` parts from
 * largest to smallest (`1h30m`, `1.5s`), or an ISO-8601 duration without years or months (`PT5M`, `P3D`,
 * `P1W`, `P1DT12H`).
 * @throws BatonError `INVALID_ARGUMENT` when the text is not a duration.
 * @example
 * parseDuration('1h30m'); // 5_400_000
 * parseDuration('PT5M'); // 300_000
 * parseDuration(250); // 250
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return checked(text, String(text));
  if (typeof text !== 'string') {
    throw invalid(`expected a duration ${EXAMPLES}, got ${text === null ? 'null' : typeof text}`);
  }
  const source = text.trim();
  if (source === '') throw invalid(`expected a duration ${EXAMPLES}, got an empty string`);
  if (/^-/.test(source)) throw invalid(`duration "${text}" is negative; durations must be zero or more`);
  if (/^\d+(?:\.\d+)?$/.test(source)) {
    throw invalid(
      `duration "${text}" has no unit`,
      `Write "${source}ms" or "${source}s", or pass a number for milliseconds.`,
    );
  }
  if (/^p/i.test(source)) return parseIso(source.toUpperCase(), text);
  if (!COMPOUND.test(source)) throw invalid(`"${text}" is not a duration`, `Write a duration ${EXAMPLES}.`);
  let total = 0;
  let lastRank = -1;
  for (const [, amount, unit] of source.matchAll(PART)) {
    const rank = UNITS.indexOf(unit as Unit);
    if (rank <= lastRank) {
      throw invalid(
        `duration "${text}" lists "${unit}" out of order or twice`,
        'List each unit once, from largest to smallest (w, d, h, m, s, ms), as in "1h30m".',
      );
    }
    lastRank = rank;
    total += Number(amount) * UNIT_MS[unit as Unit];
  }
  return checked(total, text);
}

function parseIso(source: string, text: string): number {
  const match = ISO.exec(source);
  if (!match || source === 'P' || source.endsWith('T')) {
    throw invalid(
      `"${text}" is not an ISO-8601 duration`,
      'Write it as e.g. "PT30S", "PT5M", "PT1H30M", "P3D" or "P1W".',
    );
  }
  const [, years, months, weeks, days, hours, minutes, seconds] = match;
  if (years !== undefined || months !== undefined) {
    throw invalid(
      `duration "${text}" uses years or months, whose length varies`,
      'Use days or weeks instead, e.g. "P30D".',
    );
  }
  const total =
    Number(weeks ?? 0) * UNIT_MS.w +
    Number(days ?? 0) * UNIT_MS.d +
    Number(hours ?? 0) * UNIT_MS.h +
    Number(minutes ?? 0) * UNIT_MS.m +
    Number(seconds ?? 0) * UNIT_MS.s;
  return checked(total, text);
}

function checked(ms: number, text: string): number {
  if (!Number.isFinite(ms) || ms < 0) {
    throw invalid(`duration ${text} must be a finite number of milliseconds, zero or more`);
  }
  const rounded = Math.round(ms);
  if (!Number.isSafeInteger(rounded)) throw invalid(`duration ${text} is too large`);
  return rounded;
}

function invalid(message: string, hint?: string): BatonError {
  return new BatonError('INVALID_ARGUMENT', message, hint === undefined ? {} : { hint });
}

/**
 * Formats milliseconds for display in the compound form {@link parseDuration} reads back: `1h30m`,
 * `2d4h`, `250ms`, `0ms`. Fractions of a millisecond are rounded; negative values get a leading `-`.
 * @example
 * formatDuration(5_400_000); // '1h30m'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0ms';
  let out = '';
  for (const unit of UNITS) {
    const size = UNIT_MS[unit];
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      out += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return ms < 0 ? `-${out}` : out;
}
