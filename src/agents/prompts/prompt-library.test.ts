import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError } from '../../core/errors.js';
import { PromptLibrary } from './prompt-library.js';
import { PROMPT_LOCK_FILE, readPromptLock, writePromptLock } from './prompt-lock.js';
import { toChatRequest } from './render-prompt.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-prompts-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(path: string, text: string): void {
  const full = join(dir, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}

function prompt(body: string, frontMatter = 'model: fast'): string {
  return `---\n${frontMatter}\n---\n${body}\n`;
}

async function openError(): Promise<BatonError> {
  try {
    await PromptLibrary.open(dir);
  } catch (err) {
    if (err instanceof BatonError) return err;
    throw err;
  }
  throw new Error('expected PromptLibrary.open to fail');
}

function thrown(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BatonError) return err;
    throw err;
  }
  throw new Error('expected a BatonError');
}

describe('PromptLibrary.open', () => {
  it('loads every prompt and picks the latest version numerically (v10 over v9)', async () => {
    for (const version of [1, 2, 9, 10]) write(`triage/v${version}.md`, prompt(`version ${version}`));
    write('summarise/v3.md', prompt('gaps are fine'));
    write('summarise/README.md', 'notes, ignored');
    write('summarise/notes.txt', 'ignored');
    write('README.md', 'ignored');
    write('.drafts/x.md', 'ignored');

    const library = await PromptLibrary.open(dir);
    expect(library.names()).toEqual(['summarise', 'triage']);
    expect(library.versions('triage')).toEqual([1, 2, 9, 10]);
    expect(library.get('triage').version).toBe(10);
    expect(library.get('triage', 9).version).toBe(9);
    expect(library.render('triage').messages).toEqual([{ role: 'user', content: 'version 10' }]);
    expect(library.render('triage', {}, { version: 2 }).messages).toEqual([
      { role: 'user', content: 'version 2' },
    ]);
    expect(library.get('summarise').version).toBe(3);
  });

  it('fails when the directory does not exist', async () => {
    await expect(PromptLibrary.open(join(dir, 'nope'))).rejects.toMatchObject({ code: 'PROMPT_NOT_FOUND' });
  });

  it('names the file and line of bad front matter', async () => {
    write('triage/v1.md', prompt('ok'));
    write('triage/v2.md', '---\nmodel: fast\nparameters:\n  temperature: hot\n---\nHi\n');
    const err = await openError();
    expect(err.code).toBe('PROMPT_INVALID');
    expect(err.message).toContain(`${join(dir, 'triage', 'v2.md')}:4: invalid front matter`);
    expect(err.details).toMatchObject({ file: join(dir, 'triage', 'v2.md'), line: 4 });
  });

  it('rejects two files for one version', async () => {
    write('triage/v1.md', prompt('one'));
    write('triage/v01.md', prompt('one again'));
    const err = await openError();
    expect(err.code).toBe('PROMPT_INVALID');
    expect(err.message).toContain('are both version 1 of triage');
    expect(err.details).toMatchObject({ files: [join(dir, 'triage/v01.md'), join(dir, 'triage/v1.md')] });
  });

  it.each([
    ['Triage/v1.md', /not a valid prompt name/],
    ['triage/v0.md', /named v<N>\.md with N ≥ 1/],
    ['triage/V1.md', /named v<N>\.md/],
    ['triage/v1-draft.md', /named v<N>\.md/],
    ['triage/schemas/x.json', /has no version file/],
  ])('rejects %s', async (path, message) => {
    write(path, prompt('x'));
    const err = await openError();
    expect(err.code).toBe('PROMPT_INVALID');
    expect(err.message).toMatch(message);
  });

  it('reports the problems of every file at once', async () => {
    write('a/v1.md', 'no front matter');
    write('b/v1.md', prompt('{{ broken'));
    write('c/v1.md', prompt('fine'));
    const err = await openError();
    expect(err.message).toMatch(/^2 problems in prompt directory/);
    expect(err.details).toMatchObject({
      errors: [
        { message: expect.stringContaining('a/v1.md:1:') },
        { message: expect.stringContaining('b/v1.md:4:') },
      ],
    });
  });
});

describe('PromptLibrary.get and render', () => {
  it('names the known prompts or versions when one is unknown', async () => {
    write('triage/v1.md', prompt('x'));
    write('triage/v3.md', prompt('x'));
    write('summarise/v1.md', prompt('x'));
    const library = await PromptLibrary.open(dir);
    const noName = thrown(() => library.render('triag', {}));
    expect(noName.code).toBe('PROMPT_NOT_FOUND');
    expect(noName.hint).toBe('Known prompts: summarise, triage');
    const noVersion = thrown(() => library.get('triage', 2));
    expect(noVersion.code).toBe('PROMPT_NOT_FOUND');
    expect(noVersion.message).toMatch(/prompt triage has no version 2/);
    expect(noVersion.hint).toBe('Known versions of triage: v1, v3');
  });

  it('renders messages with nested paths, JSON values, escapes and defaults', async () => {
    write(
      'triage/v1.md',
      prompt(
        [
          '# system',
          'Answer in a {{tone}} tone, at most {{limit}} words.',
          '',
          '# user',
          'Ticket: {{ticket.title}} (#{{ticket.id}})',
          'Tags: {{ticket.tags}}',
          'Literal: \\{{ticket.title}}',
        ].join('\n'),
        'model: smart\nparameters: { temperature: 0.1, seed: 7 }\nvariables:\n  tone: { default: calm }\n  limit: { default: 50 }\n  ticket: { description: The ticket }',
      ),
    );
    const library = await PromptLibrary.open(dir);
    const rendered = library.render('triage', {
      ticket: { title: 'Login broken', id: 42, tags: ['auth', 'p1'] },
      tone: 'friendly',
      limit: undefined,
      unused: 'extra variables are allowed',
    });
    expect(rendered).toEqual({
      name: 'triage',
      version: 1,
      model: 'smart',
      parameters: { temperature: 0.1, seed: 7 },
      messages: [
        { role: 'system', content: 'Answer in a friendly tone, at most 50 words.' },
        {
          role: 'user',
          content: 'Ticket: Login broken (#42)\nTags: [\n  "auth",\n  "p1"\n]\nLiteral: {{ticket.title}}',
        },
      ],
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(rendered.responseFormat).toBeUndefined();
  });

  it('lists every missing variable at once', async () => {
    write(
      'triage/v1.md',
      prompt('# system\n{{a}} {{tone}}\n# user\n{{ticket.title}} {{b}} {{a}} {{ticket.body}}'),
    );
    const library = await PromptLibrary.open(dir);
    const err = thrown(() => library.render('triage', { ticket: { body: 'x' }, tone: 'ok' }));
    expect(err.code).toBe('PROMPT_VARIABLE_MISSING');
    expect(err.message).toContain('prompt triage@1 is missing variables: a, ticket.title, b');
    expect(err.details).toMatchObject({ prompt: 'triage', version: 1, missing: ['a', 'ticket.title', 'b'] });
  });

  it('hashes the file content, so a run can record exactly what was sent', async () => {
    const text = prompt('Hello {{name}}');
    write('greet/v1.md', text);
    write('greet/v2.md', text.replaceAll('\n', '\r\n'));
    const library = await PromptLibrary.open(dir);
    const hash = createHash('sha256').update(text).digest('hex');
    expect(library.render('greet', { name: 'x' }, { version: 1 }).hash).toBe(hash);
    expect(library.get('greet', 2).hash).toBe(hash);
  });

  it('turns an output schema file into response_format', async () => {
    const schema = { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] };
    write('triage/schemas/triage-result.json', JSON.stringify(schema));
    write('triage/v1.md', prompt('Classify', 'model: fast\noutput: { schema: triage-result }'));
    write(
      'triage/v2.md',
      prompt('Classify', 'model: fast\noutput: { schema: triage-result, name: verdict }'),
    );
    const library = await PromptLibrary.open(dir);
    const rendered = library.render('triage', {}, { version: 1 });
    expect(rendered.responseFormat).toEqual({
      type: 'json_schema',
      json_schema: { name: 'triage-result', schema, strict: true },
    });
    expect(library.get('triage', 2).responseFormat?.json_schema.name).toBe('verdict');
    expect(toChatRequest(rendered)).toEqual({
      model: 'fast',
      messages: [{ role: 'user', content: 'Classify' }],
      response_format: rendered.responseFormat,
    });
    // The schema is part of what is sent, so it is part of the hash.
    const fileOnly = createHash('sha256').update(
      prompt('Classify', 'model: fast\noutput: { schema: triage-result }'),
    );
    expect(rendered.hash).not.toBe(fileOnly.digest('hex'));
  });

  it('turns an inline schema into response_format named after the prompt', async () => {
    write(
      'triage/v1.md',
      prompt(
        'Classify',
        'model: fast\nparameters: { max_tokens: 20 }\noutput:\n  strict: false\n  jsonSchema: { type: object }',
      ),
    );
    const rendered = (await PromptLibrary.open(dir)).render('triage');
    expect(rendered.responseFormat).toEqual({
      type: 'json_schema',
      json_schema: { name: 'triage', schema: { type: 'object' }, strict: false },
    });
    expect(toChatRequest(rendered)).toMatchObject({ max_tokens: 20, model: 'fast' });
    rendered.responseFormat!.json_schema.schema.type = 'array';
    expect((await PromptLibrary.open(dir)).render('triage').responseFormat?.json_schema.schema.type).toBe(
      'object',
    );
  });

  it.each([
    ['missing', undefined, /schemas\/nope\.json does not exist/],
    ['not JSON', '{ type: object', /is not valid JSON/],
    ['not an object', '[1]', /is not a JSON Schema object/],
  ])('rejects an output schema file that is %s', async (_case, content, message) => {
    if (content !== undefined) write('triage/schemas/nope.json', content);
    write('triage/v1.md', prompt('x', 'model: fast\noutput: { schema: nope }'));
    const err = await openError();
    expect(err.code).toBe('PROMPT_INVALID');
    expect(err.message).toMatch(message);
  });
});

describe('prompt lock', () => {
  it('verifies, detects an edited or removed old version, and accepts new versions', async () => {
    write('triage/v1.md', prompt('first'));
    write('triage/v2.md', prompt('second'));
    const lockPath = join(dir, PROMPT_LOCK_FILE);
    expect(await readPromptLock(lockPath)).toBeUndefined();
    await writePromptLock(lockPath, (await PromptLibrary.open(dir)).lock());
    const lock = await readPromptLock(lockPath);
    expect(Object.keys(lock?.prompts ?? {})).toEqual(['triage@1', 'triage@2']);

    write('triage/v3.md', prompt('third'));
    const grown = await PromptLibrary.open(dir);
    expect(grown.verifyLock(lock!)).toEqual({ edited: [], added: ['triage@3'] });

    write('triage/v1.md', prompt('first, edited in place'));
    unlinkSync(join(dir, 'triage/v2.md'));
    const edited = await PromptLibrary.open(dir);
    const err = thrown(() => edited.verifyLock(lock!));
    expect(err.code).toBe('PROMPT_VERSION_EDITED');
    expect(err.message).toContain(
      '2 locked prompt versions have changed: triage@1 (edited), triage@2 (removed)',
    );
    expect(edited.checkLock(lock!).edited).toEqual([
      { key: 'triage@1', locked: lock!.prompts['triage@1'], actual: edited.get('triage', 1).hash },
      { key: 'triage@2', locked: lock!.prompts['triage@2'], actual: undefined },
    ]);
  });

  it('updateLock adds new versions and keeps existing entries, in numeric order', async () => {
    write('triage/v9.md', prompt('nine'));
    const lock = (await PromptLibrary.open(dir)).lock();
    write('triage/v9.md', prompt('nine, edited'));
    write('triage/v10.md', prompt('ten'));
    write('alpha/v1.md', prompt('alpha'));
    const library = await PromptLibrary.open(dir);
    const updated = library.updateLock(lock);
    expect(Object.keys(updated.prompts)).toEqual(['alpha@1', 'triage@9', 'triage@10']);
    expect(updated.prompts['triage@9']).toBe(lock.prompts['triage@9']);
    expect(updated.prompts['triage@10']).toBe(library.get('triage', 10).hash);
    // The edit is still caught after an update.
    expect(() => library.verifyLock(updated)).toThrow(/triage@9 \(edited\)/);
  });

  it('counts an edit of a shared schema file as an edit of the versions that use it', async () => {
    write('triage/schemas/result.json', '{"type": "object"}');
    write('triage/v1.md', prompt('x', 'model: fast\noutput: { schema: result }'));
    write('triage/v2.md', prompt('y'));
    const lock = (await PromptLibrary.open(dir)).lock();
    write('triage/schemas/result.json', '{"type": "array"}');
    const library = await PromptLibrary.open(dir);
    expect(() => library.verifyLock(lock)).toThrow(
      /a locked prompt version has changed: triage@1 \(edited\)\./,
    );
    expect(library.checkLock(lock).edited.map((entry) => entry.key)).toEqual(['triage@1']);
  });

  it('rejects a malformed lockfile', async () => {
    const lockPath = join(dir, PROMPT_LOCK_FILE);
    writeFileSync(lockPath, JSON.stringify({ lockfileVersion: 1, prompts: { 'triage@1': 'abc' } }));
    await expect(readPromptLock(lockPath)).rejects.toMatchObject({ code: 'PROMPT_INVALID' });
    writeFileSync(lockPath, '{');
    await expect(readPromptLock(lockPath)).rejects.toThrow(/is not valid JSON/);
  });
});
