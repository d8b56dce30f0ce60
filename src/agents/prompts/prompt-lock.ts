/**
 * The prompt lockfile, `prompts.lock.json`: the content hash of every prompt version at the time it was
 * locked. It enforces "a new version is a new file; old ones are never edited in place", which the
 * history of past runs relies on (a run records `name@version` and hash, and replay re-renders it).
 *
 * Intended use: commit the lockfile next to the prompts; CI calls `library.verifyLock(lock)`, which
 * fails on any locked version whose file changed or disappeared and accepts versions added since;
 * `library.updateLock(lock)` (later, a CLI command) adds new versions and never rewrites an entry.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { BatonError } from '../../core/errors.js';

/** The lockfile's name, at the root of a prompt directory. */
export const PROMPT_LOCK_FILE = 'prompts.lock.json';

/** The lockfile: `name@version` → sha256 (hex) of that version. */
export interface PromptLock {
  lockfileVersion: 1;
  prompts: Record<string, string>;
}

/** What the lock needs to know about a prompt version. */
export interface LockablePrompt {
  name: string;
  version: number;
  hash: string;
}

/** A locked version whose content is no longer what was locked. */
export interface EditedPromptVersion {
  /** `name@version`. */
  key: string;
  locked: string;
  /** The current hash, or `undefined` when the file is gone. */
  actual: string | undefined;
}

/** The comparison of a lock with the prompts on disk. */
export interface PromptLockCheck {
  /** Locked versions whose file changed or was removed. */
  edited: EditedPromptVersion[];
  /** Versions on disk that the lock does not know yet. */
  added: string[];
}

const lockSchema = z.strictObject({
  lockfileVersion: z.literal(1),
  prompts: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9_-]*@[1-9][0-9]*$/, 'a key is name@version'),
    z.string().regex(/^[0-9a-f]{64}$/, 'a hash is 64 hex digits (sha256)'),
  ),
});

/** The key of a version in the lockfile: `triage@3`. */
export function promptLockKey(prompt: { name: string; version: number }): string {
  return `${prompt.name}@${prompt.version}`;
}

/** A lock of exactly these versions. */
export function createPromptLock(prompts: Iterable<LockablePrompt>): PromptLock {
  return updatePromptLock({ lockfileVersion: 1, prompts: {} }, prompts);
}

/** Compares a lock with the current versions. */
export function checkPromptLock(lock: PromptLock, prompts: Iterable<LockablePrompt>): PromptLockCheck {
  const current = new Map<string, string>();
  for (const prompt of prompts) current.set(promptLockKey(prompt), prompt.hash);
  const edited: EditedPromptVersion[] = [];
  for (const [key, locked] of sortedEntries(lock.prompts)) {
    const actual = current.get(key);
    if (actual !== locked) edited.push({ key, locked, actual });
  }
  const added = sortKeys([...current.keys()].filter((key) => !Object.hasOwn(lock.prompts, key)));
  return { edited, added };
}

/**
 * Fails when any locked version was edited or removed.
 * @throws BatonError `PROMPT_VERSION_EDITED` listing every such version.
 */
export function verifyPromptLock(lock: PromptLock, prompts: Iterable<LockablePrompt>): PromptLockCheck {
  const check = checkPromptLock(lock, prompts);
  if (check.edited.length > 0) {
    const list = check.edited.map((entry) => `${entry.key} (${entry.actual ? 'edited' : 'removed'})`);
    throw new BatonError(
      'PROMPT_VERSION_EDITED',
      `${list.length === 1 ? 'a locked prompt version has' : `${list.length} locked prompt versions have`} changed: ${list.join(', ')}`,
      {
        hint: 'Restore the locked content (git checkout) and put the change in a new file v<N+1>.md',
        details: { edited: check.edited },
      },
    );
  }
  return check;
}

/** The lock with every version it does not know added. Existing entries are kept exactly as they are. */
export function updatePromptLock(lock: PromptLock, prompts: Iterable<LockablePrompt>): PromptLock {
  const entries: Record<string, string> = { ...lock.prompts };
  for (const prompt of prompts) {
    const key = promptLockKey(prompt);
    if (!Object.hasOwn(entries, key)) entries[key] = prompt.hash;
  }
  return { lockfileVersion: 1, prompts: Object.fromEntries(sortedEntries(entries)) };
}

/**
 * Reads a lockfile; `undefined` when it does not exist yet.
 * @throws BatonError `PROMPT_INVALID` when the file is not a valid lockfile.
 */
export async function readPromptLock(path: string): Promise<PromptLock | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw lockError(path, 'is not valid JSON', err);
  }
  const parsed = lockSchema.safeParse(data);
  if (!parsed.success)
    throw lockError(path, z.prettifyError(parsed.error).replaceAll('\n', ' '), parsed.error);
  return parsed.data;
}

/** Writes a lockfile with sorted keys, so that its diffs show only added versions. */
export async function writePromptLock(path: string, lock: PromptLock): Promise<void> {
  const sorted: PromptLock = { lockfileVersion: 1, prompts: Object.fromEntries(sortedEntries(lock.prompts)) };
  await writeFile(path, `${JSON.stringify(sorted, null, 2)}\n`);
}

function sortedEntries(record: Record<string, string>): Array<[string, string]> {
  return sortKeys(Object.keys(record)).map((key) => [key, record[key] as string]);
}

/** By name, then by version as a number (`x@9` before `x@10`). */
function sortKeys(keys: string[]): string[] {
  const split = (key: string): [string, number] => {
    const at = key.lastIndexOf('@');
    return [key.slice(0, at), Number(key.slice(at + 1))];
  };
  return keys.sort((a, b) => {
    const [nameA, versionA] = split(a);
    const [nameB, versionB] = split(b);
    return nameA < nameB ? -1 : nameA > nameB ? 1 : versionA - versionB;
  });
}

function lockError(path: string, problem: string, cause: unknown): BatonError {
  return new BatonError('PROMPT_INVALID', `${path} ${problem}`, {
    hint: `Restore ${PROMPT_LOCK_FILE} from version control; it is written by updateLock, not by hand`,
    details: { file: path },
    cause,
  });
}
