import { describe, expect, it } from 'vitest';
import { BatonError } from '../../core/errors.js';
import { parsePromptFile } from './prompt-file.js';
import type { TemplateSegment } from './template.js';

const FILE = 'prompts/triage/v1.md';
const parse = (text: string) => parsePromptFile(text, FILE);
const texts = (segments: TemplateSegment[]) =>
  segments.map((segment) => (segment.kind === 'text' ? segment.text : `<${segment.ref}>`)).join('');

describe('parsePromptFile', () => {
  it('reads the front matter and a plain body as one user message', () => {
    const prompt = parse(
      [
        '---',
        'model: smart',
        'description: Triage a ticket',
        'parameters:',
        '  temperature: 0.2',
        '  max_tokens: 300',
        '  stop: ["END"]',
        '  logit_bias: { "50256": -100 }',
        '---',
        '',
        'Triage {{ ticket.title }} for {{customer}}.',
        '',
        'Thanks.',
        '',
      ].join('\n'),
    );
    expect(prompt).toMatchObject({
      file: FILE,
      model: 'smart',
      description: 'Triage a ticket',
      parameters: { temperature: 0.2, max_tokens: 300, stop: ['END'], logit_bias: { '50256': -100 } },
      references: ['ticket.title', 'customer'],
    });
    expect(prompt.output).toBeUndefined();
    expect(prompt.messages).toHaveLength(1);
    expect(prompt.messages[0]?.role).toBe('user');
    expect(prompt.messages[0]?.line).toBe(11);
    expect(texts(prompt.messages[0]?.segments ?? [])).toBe(
      'Triage <ticket.title> for <customer>.\n\nThanks.',
    );
  });

  it('splits # role lines into messages, keeping other headings as text', () => {
    const prompt = parse(
      [
        '---',
        'model: fast',
        '---',
        '',
        '# system',
        'You are terse.',
        '## user',
        '',
        '# user',
        'Example question',
        '# assistant   ',
        'Example answer',
        '# developer',
        'Use tools sparingly.',
        '# user',
        '\\# user',
        '{{question}}',
      ].join('\n'),
    );
    expect(prompt.messages.map((message) => [message.role, message.line, texts(message.segments)])).toEqual([
      ['system', 6, 'You are terse.\n## user'],
      ['user', 10, 'Example question'],
      ['assistant', 12, 'Example answer'],
      ['developer', 14, 'Use tools sparingly.'],
      ['user', 16, '# user\n<question>'],
    ]);
    expect(prompt.parameters).toEqual({});
  });

  it('reads CRLF files and a byte-order mark', () => {
    const prompt = parse('\uFEFF---\r\nmodel: fast\r\n---\r\n# system\r\nA\r\n# user\r\nB\r\n');
    expect(prompt.messages.map((message) => texts(message.segments))).toEqual(['A', 'B']);
  });

  it('reads declared variables, with and without details', () => {
    const prompt = parse(
      [
        '---',
        'model: fast',
        'variables:',
        '  ticket:',
        '  tone: { default: neutral, description: How to sound }',
        '  extra: { default: [1, 2] }',
        '---',
        '{{tone}} {{ticket.title}}',
      ].join('\n'),
    );
    expect(prompt.variables).toEqual({
      ticket: {},
      tone: { default: 'neutral', description: 'How to sound' },
      extra: { default: [1, 2] },
    });
  });

  it('reads output by reference and inline', () => {
    const byRef = parse('---\nmodel: fast\noutput: { schema: triage-result }\n---\nHi');
    expect(byRef.output).toEqual({ schema: 'triage-result', strict: true });
    const inline = parse(
      '---\nmodel: fast\noutput:\n  name: verdict\n  strict: false\n  jsonSchema:\n    type: object\n---\nHi',
    );
    expect(inline.output).toEqual({ name: 'verdict', strict: false, jsonSchema: { type: 'object' } });
  });

  describe('errors name the file and line', () => {
    it.each([
      ['no front matter', 'Hello', 1, /starts with front matter/],
      ['unclosed front matter', '---\nmodel: fast\nHello', 1, /never closed/],
      ['YAML syntax', '---\nmodel: fast\nparameters: [1,\n---\nHi', 3, /not valid YAML/],
      ['missing model', '---\ndescription: x\n---\nHi', 2, /`model`/],
      ['empty front matter', '---\n---\nHi', 1, /`model`|expected object/],
      ['unknown key', '---\nmodel: fast\n\ntemprature: 0.2\n---\nHi', 4, /Unrecognized key: "temprature"/],
      [
        'bad parameter',
        '---\nmodel: fast\nparameters:\n  top_p: 0.5\n  temperature: 9\n---\nHi',
        5,
        /`parameters.temperature`/,
      ],
      [
        'reserved parameter',
        '---\nmodel: fast\nparameters:\n  model: other\n---\nHi',
        4,
        /set by the prompt itself/,
      ],
      [
        'both outputs',
        '---\nmodel: fast\noutput:\n  schema: a\n  jsonSchema: {}\n---\nHi',
        4,
        /exactly one of/,
      ],
      ['schema path escape', '---\nmodel: fast\noutput: { schema: ../x }\n---\nHi', 3, /schema name/],
      ['bad variable name', '---\nmodel: fast\nvariables:\n  bad-name: {}\n---\nHi', 4, /variable name/],
      [
        'text before a heading',
        '---\nmodel: fast\n---\nIntro\n# user\nHi',
        4,
        /text before the first role heading \(line 5\)/,
      ],
      ['empty section', '---\nmodel: fast\n---\n# system\n\n# user\nHi', 4, /system message is empty/],
      ['empty body', '---\nmodel: fast\n---\n\n', 4, /user message is empty/],
      [
        'bad reference',
        '---\nmodel: fast\n---\n# user\nline\n{{ a | upper }}',
        6,
        /not a variable reference/,
      ],
      [
        'undeclared variable',
        '---\nmodel: fast\nvariables: { a: {} }\n---\n{{a}}\n{{b.c}}',
        6,
        /`b`, which is not declared/,
      ],
    ])('%s', (_case, text, line, message) => {
      let caught: unknown;
      try {
        parse(text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(BatonError);
      const err = caught as BatonError;
      expect(err.code).toBe('PROMPT_INVALID');
      expect(err.message).toMatch(message);
      expect(err.message.startsWith(`${FILE}:${line}: `)).toBe(true);
      expect(err.details).toMatchObject({ file: FILE, line });
    });

    it('lists every front matter problem with its line', () => {
      let caught: BatonError | undefined;
      try {
        parse('---\nmodel: 3\nparameters:\n  seed: 1.5\nfoo: 1\n---\nHi');
      } catch (err) {
        caught = err as BatonError;
      }
      expect(caught?.details).toMatchObject({
        problems: [
          { line: 2, path: 'model' },
          { line: 4, path: 'parameters.seed' },
          { line: 5, path: '' },
        ],
      });
    });
  });
});
