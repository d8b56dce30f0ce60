import { describe, expect, it } from 'vitest';
import { modelToolNames } from './model-tool-names.js';

describe('modelToolNames', () => {
  it('keeps safe names, replaces dots, and maps back', () => {
    const names = modelToolNames(['lookup', 'crm.find', 'a b']);
    expect(names.toModel('lookup')).toBe('lookup');
    expect(names.toModel('crm.find')).toBe('crm__find');
    expect(names.toModel('a b')).toBe('a_b');
    expect(names.fromModel('crm__find')).toBe('crm.find');
    expect(names.fromModel('never_offered')).toBe('never_offered');
  });

  it('never gives two tools one model name, and stays within 64 characters', () => {
    const long = `srv.${'x'.repeat(100)}`;
    const names = modelToolNames(['crm__find', 'crm.find', long]);
    expect(names.toModel('crm__find')).toBe('crm__find');
    expect(names.toModel('crm.find')).toMatch(/^crm__find_[0-9a-f]{8}$/);
    expect(names.toModel(long).length).toBeLessThanOrEqual(64);
    expect(names.fromModel(names.toModel('crm.find'))).toBe('crm.find');
  });
});
