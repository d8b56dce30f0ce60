import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/no-leaks.ts'],
    // Decides once per run where the Postgres tests go (server, PGlite or skip): see the file.
    globalSetup: ['test/postgres-global-setup.ts'],
  },
});
