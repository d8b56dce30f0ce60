/**
 * The offline model's embeddings: feature hashing of the input's words, so the vectors are
 * deterministic, need no model, and texts sharing words are closer than texts that share none
 * (enough for retrieval examples; there is no semantics beyond shared words).
 * @module
 */
import { createHash } from 'node:crypto';
import { ProviderError } from '../../errors.js';
import { type EmbeddingRequest, type EmbeddingResponse, embeddingResponse } from '../../types.js';
import { estimateTokens } from './usage.js';

/** The vector length when the request gives no `dimensions`. */
export const OFFLINE_EMBEDDING_DIMENSIONS = 256;
const MAX_DIMENSIONS = 16_384;
const WORD_RE = /[\p{L}\p{N}]+/gu;

/**
 * One unit-length vector of `dimensions` numbers for a text (or a list of token ids). Each word adds
 * ±1 at a position given by its SHA-256; input without words gets a vector hashed from the whole input.
 */
export function offlineEmbedding(input: string | number[], dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = typeof input === 'string' ? (input.toLowerCase().match(WORD_RE) ?? []) : input.map(String);
  for (const word of words) {
    const digest = createHash('sha256').update(word).digest();
    const position = digest.readUInt32BE(0) % dimensions;
    vector[position] = (vector[position] ?? 0) + ((digest[4] ?? 0) & 1 ? 1 : -1);
  }
  if (vector.every((v) => v === 0)) fillFromHash(vector, JSON.stringify(input));
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  return vector.map((v) => v / norm);
}

function fillFromHash(vector: number[], seed: string): void {
  for (let block = 0; block * 8 < vector.length; block++) {
    const digest = createHash('sha256').update(`${seed}\u0000${block}`).digest();
    for (let j = 0; j < 8 && block * 8 + j < vector.length; j++) {
      vector[block * 8 + j] = digest.readUInt32BE(j * 4) / 0x7fffffff - 1;
    }
  }
}

/** Answers an embeddings request offline; `dimensions` is honoured, `encoding_format: 'base64'` too. */
export function offlineEmbeddings(
  request: EmbeddingRequest,
  model: string,
  target: string,
): EmbeddingResponse {
  const dimensions = request.dimensions ?? OFFLINE_EMBEDDING_DIMENSIONS;
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
    throw new ProviderError(
      'PROVIDER_REJECTED',
      `${target}: dimensions must be an integer from 1 to ${MAX_DIMENSIONS}, got ${dimensions}`,
      {
        target,
        status: 400,
        hint: 'Fix the dimensions parameter of the embeddings request',
      },
    );
  }
  const raw = request.input;
  // A flat number[] is one tokenized input; number[][] is several.
  const inputs: Array<string | number[]> =
    typeof raw === 'string'
      ? [raw]
      : raw.length > 0 && typeof raw[0] === 'number'
        ? [raw as number[]]
        : (raw as Array<string | number[]>);
  const tokens = inputs.reduce(
    (n, input) => n + (typeof input === 'string' ? estimateTokens(input) : input.length),
    0,
  );
  return embeddingResponse(
    inputs.map((input) => offlineEmbedding(input, dimensions)),
    { model: `offline/${model}`, tokens, encoding: request.encoding_format },
  );
}
