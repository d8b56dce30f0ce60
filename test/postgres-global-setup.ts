/**
 * Vitest globalSetup: decides once per test run where the Postgres tests run, and provides the
 * answer to the test files as `batonPostgres` (read it through `test/postgres.ts`).
 *
 * 1. A real server: `BATON_TEST_POSTGRES_URL`, else one answering on 127.0.0.1:5432 as user postgres
 *    with trust auth. One template database per run, migrated once; each `freshPostgres()` clones it.
 * 2. Otherwise in-process PGlite: an instance migrated once and archived; each test database is a
 *    copy of it served on its own loopback port (see `postgres-pglite.ts` for why not schemas).
 * 3. Otherwise the Postgres tests skip, with one line saying why.
 *
 * `BATON_REQUIRE_POSTGRES=1` (CI) turns a missing server into an error, never a skip nor PGlite.
 * `BATON_TEST_POSTGRES=server|pglite|off` forces one path (`pglite` simulates a machine without a server).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import {
  DEFAULT_POSTGRES_URL,
  databaseUrl,
  dropDatabase,
  ident,
  type PostgresTestTarget,
  withAdmin,
} from './postgres-admin.js';
import { migratePostgres } from './postgres-migrate.js';
import { servePglite } from './postgres-pglite.js';

type Mode = 'auto' | 'server' | 'pglite' | 'off';

const MODES: readonly Mode[] = ['auto', 'server', 'pglite', 'off'];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mode = (process.env.BATON_TEST_POSTGRES ?? 'auto') as Mode;
  if (!MODES.includes(mode)) {
    throw new Error(
      `BATON_TEST_POSTGRES=${mode} is not one of ${MODES.join(', ')}; unset it to auto-detect.`,
    );
  }
  const required = process.env.BATON_REQUIRE_POSTGRES === '1';
  const explicitUrl = process.env.BATON_TEST_POSTGRES_URL;
  const url = explicitUrl ?? DEFAULT_POSTGRES_URL;

  let noServer = `BATON_TEST_POSTGRES=${mode}`;
  if (mode === 'auto' || mode === 'server') {
    const started = await startServerTarget(url).catch((err: Error) => err);
    if (!(started instanceof Error)) {
      project.provide('batonPostgres', started.target);
      console.log(`Postgres tests: ${started.target.serverVersion} at ${hostOf(url)}`);
      return started.teardown;
    }
    noServer = `no usable Postgres at ${hostOf(url)} (${describeError(started)})`;
    if (required || mode === 'server' || explicitUrl !== undefined) {
      throw new Error(
        `Postgres tests: ${noServer}. Start a server there (user postgres, trust auth on 127.0.0.1), ` +
          'point BATON_TEST_POSTGRES_URL at one, or unset BATON_REQUIRE_POSTGRES to fall back to PGlite.',
        { cause: started },
      );
    }
  }
  if (mode === 'auto' || mode === 'pglite') {
    const started = await startPgliteTarget().catch((err: Error) => err);
    if (!(started instanceof Error)) {
      project.provide('batonPostgres', started.target);
      console.log(`Postgres tests: ${noServer}; running them on in-process PGlite (${started.note})`);
      return started.teardown;
    }
    if (required || mode === 'pglite') {
      throw new Error(`Postgres tests: ${noServer}, and PGlite did not start: ${describeError(started)}`, {
        cause: started,
      });
    }
    noServer = `${noServer}, and PGlite did not start (${describeError(started)})`;
  }
  if (required) {
    throw new Error('Postgres tests: BATON_REQUIRE_POSTGRES=1 conflicts with BATON_TEST_POSTGRES=off.');
  }
  const reason = `${noServer}. Start one on 127.0.0.1:5432 (user postgres, trust) or set BATON_TEST_POSTGRES_URL`;
  console.log(`Postgres tests skipped: ${reason}`);
  project.provide('batonPostgres', { kind: 'skip', reason });
  return async () => {};
}

interface Started<T extends PostgresTestTarget> {
  target: T;
  teardown: () => Promise<void>;
}

async function startServerTarget(
  url: string,
): Promise<Started<Extract<PostgresTestTarget, { kind: 'server' }>>> {
  // The runner's pid lets a later run recognise databases this run leaked if it was killed.
  const prefix = `baton_${process.pid}_${randomBytes(3).toString('hex')}`;
  const template = `${prefix}_template`;
  const serverVersion = await withAdmin(url, async (admin) => {
    if (isLoopback(url)) await dropStale(admin);
    await admin.query(`create database ${ident(template)}`);
    return String((await admin.query('select version() as v')).rows[0].v).split(' on ')[0] ?? '';
  });
  const dropAll = () =>
    withAdmin(url, async (admin) => {
      const rows = await admin.query<{ datname: string }>(
        'select datname from pg_database where left(datname, length($1)) = $1 order by datname = $2',
        [`${prefix}_`, template],
      );
      for (const { datname } of rows.rows) await dropDatabase(admin, datname);
    });
  try {
    await migratePostgres(databaseUrl(url, template));
  } catch (err) {
    await dropAll().catch(() => {});
    throw new Error(`migrating template database ${template} failed: ${describeError(err)}`, { cause: err });
  }
  return { target: { kind: 'server', adminUrl: url, template, prefix, serverVersion }, teardown: dropAll };
}

async function startPgliteTarget(): Promise<
  Started<Extract<PostgresTestTarget, { kind: 'pglite' }>> & { note: string }
> {
  const t0 = performance.now();
  const pglite = await servePglite();
  const dataDirFile = join(tmpdir(), `baton-pglite-${process.pid}-${randomBytes(3).toString('hex')}.tar.gz`);
  try {
    const started = Math.round(performance.now() - t0);
    await migratePostgres(pglite.url);
    const archive = await pglite.db.dumpDataDir('gzip');
    writeFileSync(dataDirFile, Buffer.from(await archive.arrayBuffer()));
    const ms = Math.round(performance.now() - t0);
    return {
      target: { kind: 'pglite', dataDirFile },
      note: `ready in ${ms} ms, of which PGlite start ${started} ms; each test database loads a copy`,
      teardown: async () => rmSync(dataDirFile, { force: true }),
    };
  } finally {
    await pglite.stop();
  }
}

/** Drops the databases of earlier runs on this machine whose runner process is gone (killed runs). */
async function dropStale(admin: Client): Promise<void> {
  const rows = await admin.query<{ datname: string }>(
    "select datname from pg_database where datname ~ '^baton_[0-9]+_[0-9a-f]{6}_'",
  );
  for (const { datname } of rows.rows) {
    const pid = Number(datname.split('_')[1]);
    if (!isAlive(pid)) await dropDatabase(admin, datname).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '' || host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

function hostOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}

function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message || String(code);
  }
  return String(err);
}
