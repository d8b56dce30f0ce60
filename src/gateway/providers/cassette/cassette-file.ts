/**
 * The cassette file: recorded exchanges as pretty JSON with sorted keys, replaced atomically (a temp
 * file, then a rename) after every exchange, so a crash keeps all that was recorded before it and a
 * reader never sees half a file.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { BatonError } from '../../../core/errors.js';
import type { ChatChunk, ChatResponse, EmbeddingResponse } from '../../types.js';
import { type CanonicalRequest, stableStringify } from './canonical.js';

/** A recorded failure, enough to throw the same `ProviderError` again. */
export interface RecordedError {
  code: string;
  message: string;
  status?: number;
  retryAfterMs?: number;
}

/**
 * One recorded exchange: the request and what answered it: a `response` (chat), the `chunks` of a
 * stream, an `embedding` response, or an `error` (a failed stream has its chunks and the error).
 */
export interface CassetteEntry {
  key: string;
  request: CanonicalRequest;
  response?: ChatResponse;
  chunks?: ChatChunk[];
  embedding?: EmbeddingResponse;
  error?: RecordedError;
}

/** A cassette: the provider it recorded and its exchanges, in the order they happened. */
export interface Cassette {
  version: 1;
  /** The recorded provider's name; a replay without an inner provider takes its name from here. */
  provider: string;
  /** Whether the recorded provider was the offline one, so that replays stay labelled offline. */
  offline?: boolean;
  entries: CassetteEntry[];
}

const cassetteSchema = z.object({
  version: z.literal(1),
  provider: z.string(),
  offline: z.boolean().optional(),
  entries: z.array(
    z.looseObject({
      key: z.string(),
      request: z.looseObject({ kind: z.enum(['chat', 'stream', 'embed']) }),
      error: z
        .object({
          code: z.string(),
          message: z.string(),
          status: z.number().optional(),
          retryAfterMs: z.number().optional(),
        })
        .optional(),
    }),
  ),
});

/** Reads a cassette; `undefined` when the file does not exist. @throws BatonError `CONFIG_INVALID` when it is not a cassette. */
export function readCassette(path: string): Cassette | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BatonError('CONFIG_INVALID', `cannot read the cassette ${path}`, {
      details: { file: path },
      cause,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new BatonError(
      'CONFIG_INVALID',
      `the cassette ${path} is not valid JSON: ${(cause as Error).message}`,
      {
        hint: "Delete it and re-record with mode 'record'",
        details: { file: path },
        cause,
      },
    );
  }
  const parsed = cassetteSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BatonError(
      'CONFIG_INVALID',
      `the cassette ${path} is not a Baton cassette: ${issue?.path.join('.')}: ${issue?.message}`,
      {
        hint: "Delete it and re-record with mode 'record'",
        details: {
          file: path,
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        },
      },
    );
  }
  // The entries' answers are stored as the provider gave them; only the framing is checked.
  return parsed.data as unknown as Cassette;
}

let tempCounter = 0;

/** Replaces the cassette file atomically. */
export function writeCassette(path: string, cassette: Cassette): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  try {
    writeFileSync(temp, `${stableStringify(cassette, 2)}\n`);
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw new BatonError('CONFIG_INVALID', `cannot write the cassette ${path}: ${(cause as Error).message}`, {
      hint: 'Check that the directory is writable',
      details: { file: path },
      cause,
    });
  }
}
