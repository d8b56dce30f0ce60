/**
 * Imports a user module (a config, the examples) by path, TypeScript included: when the process was
 * not started under tsx (the built CLI), tsx's loader is registered on first need.
 * @module
 */
import { pathToFileURL } from 'node:url';

let tsxRegistered = false;

/** Imports the module at `path` (absolute), registering tsx if Node cannot load `.ts` by itself. */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if (
      tsxRegistered ||
      !/\.[cm]?tsx?$/.test(path) ||
      (error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION'
    ) {
      throw error;
    }
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
    // Node caches the failed import of this URL: a query string makes it a new module.
    return (await import(`${url}?tsx`)) as Record<string, unknown>;
  }
}
