/**
 * Base URLs for the AI SDK providers, which expect the API version in the path
 * (`https://api.anthropic.com/v1`, `https://generativelanguage.googleapis.com/v1beta`).
 * @module
 */

/**
 * The base URL with `versionPath` appended when the configured URL has no path of its own, so that
 * both `https://api.anthropic.com` and `https://api.anthropic.com/v1` work in config.
 * @example withVersionPath('http://127.0.0.1:8080', '/v1') // 'http://127.0.0.1:8080/v1'
 */
export function withVersionPath(baseUrl: string | undefined, versionPath: string): string | undefined {
  if (baseUrl === undefined) return undefined;
  const trimmed = baseUrl.replace(/\/+$/, '');
  const path = URL.canParse(trimmed) ? new URL(trimmed).pathname : '';
  return path === '' || path === '/' ? `${trimmed}${versionPath}` : trimmed;
}
