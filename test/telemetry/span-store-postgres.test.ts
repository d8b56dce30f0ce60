/** The Postgres span store: the conformance suite and the basics of every Postgres adapter. */
import { expect } from 'vitest';
import { spanStoreConformance } from '../../src/telemetry/spans/conformance.js';
import type { SpanStore, StoredSpan } from '../../src/telemetry/spans/port.js';
import { openPostgresSpanStore } from '../../src/telemetry/spans/postgres-span-store.js';
import { describePostgres, usePostgresDatabases } from '../postgres.js';
import { postgresAdapterBasics, postgresConformance } from '../postgres-adapter.js';

postgresConformance(spanStoreConformance, openPostgresSpanStore);

const TRACE = 'c'.repeat(32);
const span = (n: number): StoredSpan => ({
  traceId: TRACE,
  spanId: n.toString(16).padStart(16, '0'),
  name: `s${n}`,
  kind: 'internal',
  startTime: n,
  endTime: n + 1,
  status: { code: 'ok' },
  attributes: {},
});

describePostgres('Postgres span store', () => {
  const databases = usePostgresDatabases();
  postgresAdapterBasics(databases, {
    open: openPostgresSpanStore,
    migrations: 'telemetry_migrations',
    table: 'telemetry_spans',
    async shareTables(stores) {
      await Promise.all(stores.map((s, i) => s.appendSpans([span(i + 1)])));
      expect(await (stores[0] as SpanStore).listSpans({ traceId: TRACE })).toHaveLength(5);
    },
    async keepApart(inSchema, inDefault) {
      await inSchema.appendSpans([span(1)]);
      expect(await inDefault.listSpans({ traceId: TRACE })).toEqual([]);
      expect(await inSchema.listSpans({ traceId: TRACE })).toHaveLength(1);
    },
    async useBarePool(store) {
      await store.appendSpans([span(1)]);
      expect(await store.listSpans({ traceId: TRACE })).toEqual([span(1)]);
    },
  });
});
