/** The SQLite span store: the conformance suite and the basics of every SQLite adapter. */
import { describe, expect } from 'vitest';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { spanStoreConformance } from '../../src/telemetry/spans/conformance.js';
import { openSqliteSpanStore } from '../../src/telemetry/spans/sqlite-span-store.js';
import { useSqliteFiles } from '../sqlite.js';
import { sqliteAdapterBasics, sqliteConformance } from '../sqlite-adapter.js';

sqliteConformance(spanStoreConformance, openSqliteSpanStore, 'baton-spans-');

describe('SQLite span store', () => {
  const files = useSqliteFiles('baton-spans-');
  sqliteAdapterBasics(files, {
    open: openSqliteSpanStore,
    prefix: 'telemetry_',
    alongside: (path) => openSqliteAgentStore({ path }),
    async exercise(store) {
      const span = {
        traceId: 'c'.repeat(32),
        spanId: 'd'.repeat(16),
        name: 'x',
        kind: 'internal' as const,
        startTime: 1,
        endTime: 2,
        status: { code: 'ok' as const },
        attributes: {},
      };
      await store.appendSpans([span]);
      expect(await store.listSpans({ traceId: span.traceId })).toEqual([span]);
    },
  });
});
