import { describe, expect, it } from 'vitest';
import { segmentsOf } from './alert-timeline';

describe('segmentsOf', () => {
  it('is one ok stretch without changes', () => {
    expect(segmentsOf([], 0, 100)).toEqual([{ from: 0, to: 100, firing: false }]);
  });

  it('was ok before it first fired, and follows each change; duplicates change nothing', () => {
    const changes = [
      { since: 60, status: 'resolved' as const },
      { since: 20, status: 'firing' as const },
      { since: 20, status: 'firing' as const },
    ];
    expect(segmentsOf(changes, 0, 100)).toEqual([
      { from: 0, to: 20, firing: false },
      { from: 20, to: 60, firing: true },
      { from: 60, to: 100, firing: false },
    ]);
  });

  it('starts in the state of the last change before the span, and was firing before a first resolve', () => {
    expect(segmentsOf([{ since: 5, status: 'firing' }], 10, 100)).toEqual([
      { from: 10, to: 100, firing: true },
    ]);
    expect(segmentsOf([{ since: 50, status: 'resolved' }], 10, 100)).toEqual([
      { from: 10, to: 50, firing: true },
      { from: 50, to: 100, firing: false },
    ]);
  });
});
