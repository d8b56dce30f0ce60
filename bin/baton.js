#!/usr/bin/env node
// Runs the built CLI when there is one; otherwise the TypeScript sources through tsx, so that
// `npx baton` works in a fresh checkout without a build.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
