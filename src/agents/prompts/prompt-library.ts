/**
 * The prompt library: every version of every prompt of a directory, validated when it is opened.
 *
 * Layout: `<dir>/<name>/v<N>.md` (one file per version, N ≥ 1; gaps are allowed), optional
 * `<dir>/<name>/schemas/<schema>.json` for output schemas, and `<dir>/prompts.lock.json`.
 * A `README.md` anywhere and entries starting with `.` are ignored.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError, isBatonError } from '../../core/errors.js';
import { normalizePromptText, type PromptDefinition, parsePromptFile } from './prompt-file.js';
import {
  checkPromptLock,
  createPromptLock,
  type PromptLock,
  type PromptLockCheck,
  updatePromptLock,
  verifyPromptLock,
} from './prompt-lock.js';
import {
  type JsonSchemaResponseFormat,
  type PromptVersion,
  type RenderedPrompt,
  renderPrompt,
} from './render-prompt.js';

/** A prompt name: lower case, so that two names cannot clash on a case-insensitive file system. */
const PROMPT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const VERSION_FILE = /^v(\d+)\.md$/;
/** Prompt and schema files are small; a huge one is a mistake, not a prompt. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Options of {@link PromptLibrary.render}. */
export interface RenderOptions {
  /** The version to render. @defaultValue the latest version */
  version?: number;
}

/**
 * The versioned prompts of one directory. Every file is read and validated by {@link PromptLibrary.open};
 * `get` and `render` then work in memory.
 * @example
 * const prompts = await PromptLibrary.open('prompts');
 * const call = prompts.render('triage', { ticket: { title, body } });
 * // call.name, call.version and call.hash go into the run's history with the call.
 */
export class PromptLibrary {
  /** The directory the library was opened from, as given. */
  readonly dir: string;
  readonly #prompts: ReadonlyMap<string, ReadonlyMap<number, PromptVersion>>;

  private constructor(dir: string, prompts: ReadonlyMap<string, ReadonlyMap<number, PromptVersion>>) {
    this.dir = dir;
    this.#prompts = prompts;
  }

  /**
   * Reads and validates every prompt version under `dir`.
   * @throws BatonError `PROMPT_INVALID` naming every bad file (and line): bad front matter or body, a bad
   * prompt name or version file name, two files for one version (`v1.md` and `v01.md`), a missing or
   * invalid schema file. `PROMPT_NOT_FOUND` when `dir` does not exist.
   */
  static async open(dir: string): Promise<PromptLibrary> {
    const entries = await readDirectory(dir, () => {
      throw new BatonError('PROMPT_NOT_FOUND', `the prompt directory ${dir} does not exist`, {
        hint: `Create ${join(dir, '<name>', 'v1.md')}, or open another directory`,
        details: { dir },
      });
    });
    const errors: BatonError[] = [];
    const prompts = new Map<string, Map<number, PromptVersion>>();
    await Promise.all(
      entries.map(async (entry) => {
        if (!entry.isDirectory() || entry.name.startsWith('.')) return;
        try {
          const versions = await loadPrompt(dir, entry.name, errors);
          if (versions) prompts.set(entry.name, versions);
        } catch (err) {
          errors.push(asPromptError(err, join(dir, entry.name)));
        }
      }),
    );
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      errors.sort((a, b) => a.message.localeCompare(b.message));
      throw new BatonError(
        'PROMPT_INVALID',
        `${errors.length} problems in prompt directory ${dir}: ${errors.map((err) => err.message).join(' | ')}`,
        { details: { errors: errors.map((err) => err.toInfo()) }, cause: errors[0] },
      );
    }
    const sorted = new Map([...prompts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    return new PromptLibrary(dir, sorted);
  }

  /** The prompt names, sorted. */
  names(): string[] {
    return [...this.#prompts.keys()];
  }

  /**
   * The versions of a prompt, ascending.
   * @throws BatonError `PROMPT_NOT_FOUND` for an unknown name.
   */
  versions(name: string): number[] {
    return [...this.#versionsOf(name).keys()];
  }

  /**
   * One version of a prompt.
   * @param version - @defaultValue the latest (highest) version
   * @throws BatonError `PROMPT_NOT_FOUND` for an unknown name or version, listing the known ones.
   */
  get(name: string, version?: number): PromptVersion {
    const versions = this.#versionsOf(name);
    const chosen = version ?? Math.max(...versions.keys());
    const prompt = versions.get(chosen);
    if (!prompt) {
      const known = [...versions.keys()].map((v) => `v${v}`).join(', ');
      throw new BatonError('PROMPT_NOT_FOUND', `prompt ${name} has no version ${version}`, {
        hint: `Known versions of ${name}: ${known}`,
        details: { prompt: name, version, versions: [...versions.keys()] },
      });
    }
    return prompt;
  }

  /**
   * Renders a prompt with variables, ready for a model call.
   * @throws BatonError `PROMPT_NOT_FOUND` for an unknown name or version; `PROMPT_VARIABLE_MISSING`
   * listing every variable without a value.
   */
  render(
    name: string,
    variables: Readonly<Record<string, unknown>> = {},
    options: RenderOptions = {},
  ): RenderedPrompt {
    return renderPrompt(this.get(name, options.version), variables);
  }

  /** A lock of every version now in the library, to start a new `prompts.lock.json`. */
  lock(): PromptLock {
    return createPromptLock(this.#all());
  }

  /** Compares a lock with the library: versions edited or removed since locking, and versions added. */
  checkLock(lock: PromptLock): PromptLockCheck {
    return checkPromptLock(lock, this.#all());
  }

  /**
   * Fails when a locked version was edited or removed; versions added since locking pass. For CI.
   * @throws BatonError `PROMPT_VERSION_EDITED` listing every such version.
   */
  verifyLock(lock: PromptLock): PromptLockCheck {
    return verifyPromptLock(lock, this.#all());
  }

  /** The lock with new versions added; existing entries, even of edited versions, are kept as they are. */
  updateLock(lock: PromptLock = { lockfileVersion: 1, prompts: {} }): PromptLock {
    return updatePromptLock(lock, this.#all());
  }

  *#all(): Iterable<PromptVersion> {
    for (const versions of this.#prompts.values()) yield* versions.values();
  }

  #versionsOf(name: string): ReadonlyMap<number, PromptVersion> {
    const versions = this.#prompts.get(name);
    if (!versions) {
      const names = this.names();
      throw new BatonError('PROMPT_NOT_FOUND', `there is no prompt named ${name} in ${this.dir}`, {
        hint:
          names.length > 0 ? `Known prompts: ${names.join(', ')}` : `Create ${join(this.dir, name, 'v1.md')}`,
        details: { prompt: name, prompts: names },
      });
    }
    return versions;
  }
}

/** Loads one prompt folder; pushes its problems to `errors` and returns nothing if there are any. */
async function loadPrompt(
  dir: string,
  name: string,
  errors: BatonError[],
): Promise<Map<number, PromptVersion> | undefined> {
  const folder = join(dir, name);
  if (!PROMPT_NAME.test(name)) {
    errors.push(
      new BatonError('PROMPT_INVALID', `${folder}: "${name}" is not a valid prompt name`, {
        hint: 'Name prompt folders with lower-case letters, digits, - and _ (at most 64)',
        details: { file: folder },
      }),
    );
    return undefined;
  }
  const files = new Map<number, string>();
  const before = errors.length;
  for (const entry of await readDirectory(folder)) {
    if (!entry.isFile() || !entry.name.endsWith('.md') || entry.name.toLowerCase() === 'readme.md') continue;
    const file = join(folder, entry.name);
    const match = VERSION_FILE.exec(entry.name);
    const version = match ? Number(match[1]) : 0;
    if (!Number.isSafeInteger(version) || version < 1) {
      errors.push(
        new BatonError('PROMPT_INVALID', `${file}: a prompt version file is named v<N>.md with N ≥ 1`, {
          hint: 'Rename it (v1.md, v2.md, …) or move it out of the prompt folder',
          details: { file },
        }),
      );
      continue;
    }
    const other = files.get(version);
    if (other !== undefined) {
      const [first, second] = [other, file].sort();
      errors.push(
        new BatonError('PROMPT_INVALID', `${first} and ${second} are both version ${version} of ${name}`, {
          hint: 'Keep one file per version; a changed prompt is a new version number',
          details: { file: second, files: [first, second], prompt: name, version },
        }),
      );
      continue;
    }
    files.set(version, file);
  }
  if (files.size === 0 && errors.length === before) {
    errors.push(
      new BatonError('PROMPT_INVALID', `${folder}: the prompt folder has no version file`, {
        hint: `Add ${join(folder, 'v1.md')}, or remove the folder`,
        details: { file: folder },
      }),
    );
  }

  const schemas = new Map<string, Promise<{ schema: Record<string, unknown>; text: string }>>();
  const versions = new Map<number, PromptVersion>();
  await Promise.all(
    [...files].map(async ([version, file]) => {
      try {
        const text = normalizePromptText(await readSmallFile(file));
        const definition = parsePromptFile(text, file);
        let schemaText: string | undefined;
        let responseFormat: JsonSchemaResponseFormat | undefined;
        if (definition.output) {
          const { schema: ref, jsonSchema, strict } = definition.output;
          let schema = jsonSchema;
          if (ref !== undefined) {
            let loading = schemas.get(ref);
            if (!loading) {
              loading = readSchemaFile(join(folder, 'schemas', `${ref}.json`), file);
              schemas.set(ref, loading);
            }
            const loaded = await loading;
            schema = loaded.schema;
            schemaText = loaded.text;
          }
          responseFormat = {
            type: 'json_schema',
            json_schema: { name: definition.output.name ?? ref ?? name, schema: schema ?? {}, strict },
          };
        }
        versions.set(version, {
          ...definition,
          name,
          version,
          hash: hashVersion(text, definition, schemaText),
          ...(responseFormat ? { responseFormat } : {}),
        });
      } catch (err) {
        errors.push(asPromptError(err, file));
      }
    }),
  );
  if (errors.length > before) return undefined;
  return new Map([...versions.entries()].sort(([a], [b]) => a - b));
}

/** The hash covers the schema file too: editing a shared schema changes what old versions send. */
function hashVersion(text: string, definition: PromptDefinition, schemaText: string | undefined): string {
  const hash = createHash('sha256').update(text);
  if (schemaText !== undefined)
    hash.update(`\0schemas/${definition.output?.schema}.json\0`).update(schemaText);
  return hash.digest('hex');
}

async function readSchemaFile(
  path: string,
  promptFile: string,
): Promise<{ schema: Record<string, unknown>; text: string }> {
  let text: string;
  try {
    text = normalizePromptText(await readSmallFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new BatonError('PROMPT_INVALID', `${promptFile}: output schema file ${path} does not exist`, {
      hint: 'Create the schema file, or fix `output.schema` in the front matter',
      details: { file: promptFile, schemaFile: path },
      cause: err,
    });
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new BatonError('PROMPT_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, {
      hint: 'Fix the JSON Schema file',
      details: { file: path, promptFile },
      cause: err,
    });
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new BatonError('PROMPT_INVALID', `${path} is not a JSON Schema object`, {
      hint: 'A schema file holds one JSON object, such as {"type": "object", "properties": {…}}',
      details: { file: path, promptFile },
    });
  }
  return { schema: schema as Record<string, unknown>, text };
}

async function readSmallFile(path: string): Promise<string> {
  const { size } = await stat(path);
  if (size > MAX_FILE_BYTES) {
    throw new BatonError(
      'PROMPT_INVALID',
      `${path} is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit`,
      {
        hint: 'Keep prompts small; pass large inputs as variables',
        details: { file: path, size },
      },
    );
  }
  return readFile(path, 'utf8');
}

async function readDirectory(path: string, onMissing?: () => never): Promise<Dirent[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    if (onMissing && (err as NodeJS.ErrnoException).code === 'ENOENT') onMissing();
    throw err;
  }
}

function asPromptError(err: unknown, file: string): BatonError {
  if (isBatonError(err)) return err;
  return new BatonError('PROMPT_INVALID', `${file} cannot be read: ${(err as Error).message}`, {
    hint: 'Check that the file exists and is readable',
    details: { file },
    cause: err,
  });
}
