import { describe, expect, it } from 'vitest';
import { newRequestId } from './request-id.js';

describe('newRequestId', () => {
  it('sorts by time and never repeats', () => {
    const ids = [
      newRequestId(1_000),
      newRequestId(1_000),
      newRequestId(2_000),
      newRequestId(1_700_000_000_000),
    ];
    expect([...ids].sort()).toEqual([...ids.slice(0, 2)].sort().concat(ids.slice(2)));
    expect(ids[2]! > ids[0]! && ids[2]! > ids[1]!).toBe(true);
    const many = new Set(Array.from({ length: 5_000 }, () => newRequestId()));
    expect(many.size).toBe(5_000);
    expect(ids[0]).toMatch(/^req_[0-9a-z]{10}[0-9a-f]{12}$/);
  });
});
