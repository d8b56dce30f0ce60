import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { bucketOf, bucketSql, LabelCap, OTHER, Tally } from './tally.js';

const bounds = [0.1, 1, 10];

describe('buckets', () => {
  it('puts a value in the first bucket whose bound is at least the value, in SQL as in code', () => {
    const db = new Database(':memory:');
    try {
      for (const value of [0, 0.1, 0.10001, 1, 5, 10, 10.5, 1e9]) {
        const row = db.prepare(`SELECT ${bucketSql('?', bounds)} AS b`).get(value, value, value) as {
          b: number;
        };
        expect(row.b).toBe(bucketOf(value, bounds));
      }
      expect([0.1, 0.5, 10, 11].map((v) => bucketOf(v, bounds))).toEqual([0, 1, 2, 3]);
    } finally {
      db.close();
    }
  });
});

describe('LabelCap', () => {
  it('keeps the first values it sees and folds later ones into other, for good', () => {
    const cap = new LabelCap(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map((v) => cap.of(v))).toEqual(['a', 'b', OTHER, 'a', OTHER, 'b']);
    expect(cap.values()).toEqual(['a', 'b']);
  });
});

describe('Tally', () => {
  it('adds counters and histograms by label set, and merges without sharing state', () => {
    const a = new Tally();
    a.add('c', { x: '1', y: '2' }, 2);
    a.add('c', { y: '2', x: '1' }, 3);
    a.add('c', { x: '1', y: '2' }, 0);
    a.observe('h', bounds, { x: '1' }, 1, 2, 1.5);
    const b = a.clone();
    b.observe('h', bounds, { x: '1' }, 3, 1, 20);
    b.add('c', { x: '1', y: '2' }, 1);
    expect([...(a.counters.get('c')?.values() ?? [])]).toEqual([{ labels: { x: '1', y: '2' }, value: 5 }]);
    expect([...(a.histograms.get('h')?.values() ?? [])]).toEqual([
      { labels: { x: '1' }, buckets: [0, 2, 0, 0], sum: 1.5, count: 2 },
    ]);
    expect([...(b.histograms.get('h')?.values() ?? [])]).toEqual([
      { labels: { x: '1' }, buckets: [0, 2, 0, 1], sum: 21.5, count: 3 },
    ]);
    expect(b.counters.get('c')?.size).toBe(1);
    expect([...(b.counters.get('c')?.values() ?? [])][0]?.value).toBe(6);
  });

  it('keeps gauges at zero', () => {
    const t = new Tally();
    t.set('g', {}, 0);
    expect([...(t.counters.get('g')?.values() ?? [])]).toEqual([{ labels: {}, value: 0 }]);
  });
});
