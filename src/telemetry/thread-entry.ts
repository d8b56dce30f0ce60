/**
 * Starting one of Baton's worker threads from the package or from its TypeScript sources.
 * @module
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Where the thread module `name` (without extension), beside the module at `base`, starts: the
 * compiled `.js` in `dist/`; from the sources (tsx, vitest), the `.ts` through tsx's loader,
 * registered in the thread first: a thread does not inherit its process's loader hooks, and tsx
 * registers them on the main thread only.
 */
export function threadEntry(base: string, name: string): { entry: URL | string; eval: boolean } {
  if (!base.endsWith('.ts')) return { entry: new URL(`./${name}.js`, base), eval: false };
  const thread = new URL(`./${name}.ts`, base).href;
  const require = createRequire(base);
  const manifest = require.resolve('tsx/package.json');
  const exports = (require(manifest) as { exports: Record<string, { import?: { default?: string } }> })
    .exports;
  const api = new URL(
    exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs',
    pathToFileURL(manifest),
  );
  const code = `import(${JSON.stringify(api.href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(thread)}); });`;
  return { entry: code, eval: true };
}
