import { describe, expect, it } from 'vitest';
import { jsonFromSchema } from './schema-json.js';

describe('jsonFromSchema', () => {
  it('prefers const, enum, default and examples over the type', () => {
    expect(jsonFromSchema({ type: 'string', const: 'fixed' })).toBe('fixed');
    expect(jsonFromSchema({ type: 'string', enum: ['billing', 'tech'] })).toBe('billing');
    expect(jsonFromSchema({ type: 'integer', default: 7 })).toBe(7);
    expect(jsonFromSchema({ type: 'string', examples: ['sample', 'other'] })).toBe('sample');
  });

  it('derives values by type: words from property names, minimums, true', () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        score: { type: 'number', minimum: 0.5 },
        count: { type: 'integer', exclusiveMinimum: 3 },
        plain: { type: 'number' },
        ok: { type: 'boolean' },
        nothing: { type: 'null' },
        email: { type: 'string', format: 'email' },
        when: { type: 'string', format: 'date-time' },
        code: { type: 'string', minLength: 10, maxLength: 12 },
        negative: { type: 'integer', maximum: -3 },
      },
    };
    expect(jsonFromSchema(schema)).toEqual({
      title: 'title',
      score: 0.5,
      count: 4,
      plain: 0,
      ok: true,
      nothing: null,
      email: 'email@example.com',
      when: '2024-01-01T00:00:00Z',
      code: 'code-code-co',
      negative: -3,
    });
  });

  it('builds nested objects and arrays, honouring minItems and maxItems, with required-only extras as null', () => {
    const schema = {
      type: 'object',
      required: ['items', 'meta', 'undeclared'],
      properties: {
        items: {
          type: 'array',
          minItems: 2,
          items: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } } },
        },
        empty: { type: 'array', maxItems: 0, items: { type: 'string' } },
        meta: { type: 'object', properties: { version: { type: 'integer', minimum: 1 } } },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'boolean' }], minItems: 2 },
      },
    };
    expect(jsonFromSchema(schema)).toEqual({
      items: [{ tags: ['tag'] }, { tags: ['tag'] }],
      empty: [],
      meta: { version: 1 },
      pair: ['pair', true],
      undeclared: null,
    });
  });

  it('resolves $defs and definitions refs, takes the first non-null anyOf branch and merges allOf', () => {
    const schema = {
      type: 'object',
      properties: {
        customer: { $ref: '#/$defs/Customer' },
        legacy: { $ref: '#/definitions/Legacy' },
        maybe: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 5 }] },
        choice: { oneOf: [{ enum: ['a', 'b'] }, { type: 'number' }] },
        merged: { allOf: [{ $ref: '#/$defs/Named' }, { properties: { age: { type: 'integer' } } }] },
      },
      $defs: {
        Customer: {
          type: 'object',
          properties: { tier: { enum: ['gold', 'silver'] }, name: { type: 'string' } },
        },
        Named: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      },
      definitions: { Legacy: { type: ['string', 'null'] } },
    };
    expect(jsonFromSchema(schema)).toEqual({
      customer: { tier: 'gold', name: 'name' },
      legacy: 'legacy',
      maybe: 5,
      choice: 'a',
      merged: { name: 'name', age: 0 },
    });
  });

  it('ends on recursive schemas', () => {
    const schema = {
      $ref: '#/$defs/Node',
      $defs: {
        Node: {
          type: 'object',
          required: ['label'],
          properties: {
            label: { type: 'string' },
            children: { type: 'array', items: { $ref: '#/$defs/Node' } },
          },
        },
      },
    };
    const value = jsonFromSchema(schema) as { label: string; children: unknown[] };
    expect(value.label).toBe('label');
    expect(JSON.stringify(value).length).toBeLessThan(2000);
    expect(jsonFromSchema(schema)).toEqual(value);
  });
});
