/**
 * Small helpers shared by the commands.
 * @module
 */
import { BatonError } from '../../core/errors.js';

/** Commander collector for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A version given as `2` or `name@2`, as a version id of `workflow`. */
export function versionId(workflow: string, text: string, option: string): string {
  if (/^\d+$/.test(text)) return `${workflow}@${Number(text)}`;
  const at = text.lastIndexOf('@');
  if (at > 0 && /^\d+$/.test(text.slice(at + 1))) {
    if (text.slice(0, at) !== workflow) {
      throw new BatonError(
        'INVALID_ARGUMENT',
        `${option} ${text} is a version of "${text.slice(0, at)}", not of "${workflow}"`,
      );
    }
    return text;
  }
  throw new BatonError(
    'INVALID_ARGUMENT',
    `${option} must be a version number (2) or id (${workflow}@2), got "${text}"`,
  );
}

/** Who decides, when `--by` is not given: the login name, else `cli`. */
export function defaultDecider(env = process.env): string {
  return env.USER || env.USERNAME || 'cli';
}
