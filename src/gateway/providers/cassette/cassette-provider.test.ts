import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError } from '../../../core/errors.js';
import { ProviderError } from '../../errors.js';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingRequest,
  EmbeddingResponse,
} from '../../types.js';
import { createOfflineProvider } from '../offline/offline-provider.js';
import type { Provider, ProviderCall } from '../provider.js';
import { canonicalRequest, cassetteKey } from './canonical.js';
import { createCassetteProvider } from './cassette-provider.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-cassette-'));
  path = join(dir, 'nested', 'cassette.json');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const call = (model = 'm'): ProviderCall => ({
  model,
  signal: new AbortController().signal,
  target: `fake/${model}`,
});
const ask = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'route-alias',
  messages: [{ role: 'user', content: text }],
  ...extra,
});
const readJson = () =>
  JSON.parse(readFileSync(path, 'utf8')) as { provider: string; entries: Array<{ key: string }> };

/** A provider that counts its calls and numbers its answers, so replays can be told apart. */
function countingProvider(): Provider & { calls: number } {
  const chunk = (
    content: string,
    finish: ChatChunk['choices'][number]['finish_reason'] = null,
  ): ChatChunk => ({
    id: 's',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  });
  const fake = {
    name: 'fake',
    calls: 0,
    async chat(request: ChatRequest, c: ProviderCall): Promise<ChatResponse> {
      fake.calls++;
      const text = request.messages.at(-1)?.content;
      if (text === 'fail') {
        throw new ProviderError('PROVIDER_RATE_LIMITED', 'fake answered 429: slow down', {
          target: c.target,
          status: 429,
          retryAfterMs: 1500,
        });
      }
      if (text === 'bug') throw new TypeError('not a provider failure');
      return {
        id: `r${fake.calls}`,
        object: 'chat.completion',
        created: 1,
        model: c.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: `answer ${fake.calls} to ${text}` },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      };
    },
    async *chatStream(request: ChatRequest): AsyncIterable<ChatChunk> {
      fake.calls++;
      yield chunk('one ');
      yield chunk('two');
      if (request.messages.at(-1)?.content === 'break') {
        throw new ProviderError('STREAM_INTERRUPTED', 'fake stream broke', { status: 502 });
      }
      yield chunk('', 'stop');
      yield { ...chunk(''), choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
    },
    async embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
      fake.calls++;
      return {
        object: 'list',
        model: 'e',
        data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }],
        usage: { prompt_tokens: String(request.input).length, total_tokens: 1 },
      };
    },
  };
  return fake;
}

async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('cassette provider', () => {
  it('records chat, streams and embeddings, then replays them without the inner provider', async () => {
    const inner = countingProvider();
    const recorder = createCassetteProvider(inner, { path, mode: 'record' });
    const chat = await recorder.chat(ask('hi'), call());
    const chunks = await collect(recorder.chatStream(ask('hi'), call()));
    const embedding = await recorder.embed?.({ model: 'x', input: 'text' }, call('e'));
    expect(inner.calls).toBe(3);
    expect(chunks).toHaveLength(4);

    const player = createCassetteProvider(undefined, { path, mode: 'replay' });
    expect(player.name).toBe('fake');
    expect(await player.chat(ask('hi'), call())).toEqual(chat);
    expect(await collect(player.chatStream(ask('hi'), call()))).toEqual(chunks);
    expect(await player.embed?.({ model: 'x', input: 'text' }, call('e'))).toEqual(embedding);
    expect(chat.choices[0]?.message.content).toBe('answer 1 to hi');
  });

  it('replays the offline provider byte for byte, still labelled offline', async () => {
    const offline = createOfflineProvider({
      rules: [{ when: { prompt: 'hi' }, answer: { text: 'hello there, friend' } }],
    });
    const recorder = createCassetteProvider(offline, { path, mode: 'record' });
    const chat = await recorder.chat(ask('hi'), call());
    const chunks = await collect(recorder.chatStream(ask('hi'), call()));
    const player = createCassetteProvider(undefined, { path, mode: 'replay' });
    expect(player.offline).toBe(true);
    expect(player.name).toBe('offline');
    expect(await player.chat(ask('hi'), call())).toEqual(chat);
    expect(await collect(player.chatStream(ask('hi'), call()))).toEqual(chunks);
    expect(chat.model).toBe('offline/m');
  });

  it('records failures and replays them as the same typed ProviderError', async () => {
    const recorder = createCassetteProvider(countingProvider(), { path, mode: 'record' });
    await expect(recorder.chat(ask('fail'), call())).rejects.toMatchObject({ code: 'PROVIDER_RATE_LIMITED' });
    const partial: ChatChunk[] = [];
    const broken = async () => {
      for await (const c of recorder.chatStream(ask('break'), call())) partial.push(c);
    };
    await expect(broken()).rejects.toMatchObject({ code: 'STREAM_INTERRUPTED' });

    const player = createCassetteProvider(undefined, { path, mode: 'replay' });
    const err = await player.chat(ask('fail'), call()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
      status: 429,
      retryAfterMs: 1500,
      message: 'fake answered 429: slow down',
      retryable: true,
    });
    const replayed: ChatChunk[] = [];
    const replay = async () => {
      for await (const c of player.chatStream(ask('break'), call())) replayed.push(c);
    };
    await expect(replay()).rejects.toMatchObject({ code: 'STREAM_INTERRUPTED', status: 502 });
    expect(replayed).toEqual(partial);
    expect(replayed.map((c) => c.choices[0]?.delta.content)).toEqual(['one ', 'two']);
  });

  it('does not record errors that are not provider failures', async () => {
    const recorder = createCassetteProvider(countingProvider(), { path, mode: 'record' });
    await expect(recorder.chat(ask('bug'), call())).rejects.toBeInstanceOf(TypeError);
    expect(existsSync(path)).toBe(false);
  });

  it('throws CASSETTE_MISS naming the key and the cassette, and never calls the inner provider in replay', async () => {
    const inner = countingProvider();
    await createCassetteProvider(inner, { path, mode: 'record' }).chat(ask('hi'), call());
    const player = createCassetteProvider(inner, { path, mode: 'replay' });
    const key = cassetteKey(canonicalRequest('chat', 'fake', 'm', ask('other')));
    const err = await player.chat(ask('other'), call()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('CASSETTE_MISS');
    expect((err as ProviderError).message).toContain(key);
    expect((err as ProviderError).message).toContain(path);
    expect((err as ProviderError).message).toContain("re-record with mode 'record'");
    await expect(collect(player.chatStream(ask('hi'), call()))).rejects.toMatchObject({
      code: 'CASSETTE_MISS',
    });
    await player.chat(ask('hi'), call());
    expect(inner.calls).toBe(1);
    const missingFile = createCassetteProvider(undefined, {
      path: join(dir, 'none.json'),
      mode: 'replay',
      name: 'fake',
    });
    await expect(missingFile.chat(ask('hi'), call())).rejects.toThrow(/does not exist/);
  });

  it('keys on the provider model and the request, not the route alias or stream: false', async () => {
    const inner = countingProvider();
    await createCassetteProvider(inner, { path, mode: 'record' }).chat(ask('hi'), call('m'));
    const player = createCassetteProvider(undefined, { path, mode: 'replay' });
    await expect(
      player.chat(ask('hi', { model: 'another-alias', stream: false }), call('m')),
    ).resolves.toMatchObject({ id: 'r1' });
    await expect(player.chat(ask('hi'), call('other-model'))).rejects.toMatchObject({
      code: 'CASSETTE_MISS',
    });
    await expect(player.chat(ask('hi', { temperature: 0.5 }), call('m'))).rejects.toMatchObject({
      code: 'CASSETTE_MISS',
    });
  });

  it('replays repeated identical requests in order, then repeats the last', async () => {
    const recorder = createCassetteProvider(countingProvider(), { path, mode: 'record' });
    for (let i = 0; i < 3; i++) await recorder.chat(ask('again'), call());
    expect(readJson().entries).toHaveLength(3);
    const player = createCassetteProvider(undefined, { path, mode: 'replay' });
    const contents: unknown[] = [];
    for (let i = 0; i < 5; i++)
      contents.push((await player.chat(ask('again'), call())).choices[0]?.message.content);
    expect(contents).toEqual([
      'answer 1 to again',
      'answer 2 to again',
      'answer 3 to again',
      'answer 3 to again',
      'answer 3 to again',
    ]);
  });

  it('leaves a valid, sorted JSON file after every exchange and no temp files', async () => {
    const recorder = createCassetteProvider(countingProvider(), { path, mode: 'record' });
    for (const text of ['a', 'b', 'c']) {
      await recorder.chat(ask(text), call());
      const file = readFileSync(path, 'utf8');
      expect(file.endsWith('}\n')).toBe(true);
      expect(JSON.parse(file).entries.at(-1).request.request.messages[0].content).toBe(text);
    }
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')))).toEqual(['entries', 'provider', 'version']);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['cassette.json']);
  });

  it('does not record a stream the consumer stopped reading', async () => {
    const recorder = createCassetteProvider(countingProvider(), { path, mode: 'record' });
    for await (const _chunk of recorder.chatStream(ask('hi'), call())) break;
    expect(existsSync(path)).toBe(false);
    await collect(recorder.chatStream(ask('hi'), call()));
    expect(readJson().entries).toHaveLength(1);
  });

  it('auto mode replays what it has and records what it lacks', async () => {
    const inner = countingProvider();
    await createCassetteProvider(inner, { path, mode: 'record' }).chat(ask('known'), call());
    const auto = createCassetteProvider(inner, { path, mode: 'auto' });
    expect((await auto.chat(ask('known'), call())).choices[0]?.message.content).toBe('answer 1 to known');
    expect(inner.calls).toBe(1);
    expect((await auto.chat(ask('new'), call())).choices[0]?.message.content).toBe('answer 2 to new');
    expect((await auto.chat(ask('new'), call())).choices[0]?.message.content).toBe('answer 2 to new');
    expect(inner.calls).toBe(2);
    expect(readJson().entries).toHaveLength(2);
    const player = createCassetteProvider(undefined, { path, mode: 'replay' });
    expect((await player.chat(ask('new'), call())).choices[0]?.message.content).toBe('answer 2 to new');
  });

  it('record mode replaces an old cassette; bad setups fail with typed errors', async () => {
    const inner = countingProvider();
    await createCassetteProvider(inner, { path, mode: 'record' }).chat(ask('old'), call());
    await createCassetteProvider(inner, { path, mode: 'record' }).chat(ask('new'), call());
    expect(readJson().entries).toHaveLength(1);
    expect(() => createCassetteProvider(undefined, { path, mode: 'record' })).toThrow(BatonError);
    writeFileSync(path, '{"version": 2}');
    expect(() => createCassetteProvider(undefined, { path, mode: 'replay' })).toThrow(/not a Baton cassette/);
    writeFileSync(path, 'nope');
    expect(() => createCassetteProvider(undefined, { path, mode: 'auto' })).toThrow(/not valid JSON/);
  });

  it('returns copies, so a caller mutating an answer does not change the next replay', async () => {
    await createCassetteProvider(countingProvider(), { path, mode: 'record' }).chat(ask('hi'), call());
    const player = createCassetteProvider(undefined, { path, mode: 'replay' });
    const first = await player.chat(ask('hi'), call());
    (first.choices[0] as { message: { content: string } }).message.content = 'mutated';
    expect((await player.chat(ask('hi'), call())).choices[0]?.message.content).toBe('answer 1 to hi');
  });
});
