/**
 * The routes a gateway gets when its config names none, so a fresh install works at once: with an
 * OpenAI or Anthropic key in the environment they use it; with none they use the offline model,
 * whose answers are labelled offline wherever they appear.
 * @module
 */
import type { GatewayConfig } from './config.js';

/** The aliases every default config defines. */
export const DEFAULT_ALIASES = ['fast', 'smart', 'router'] as const;

/** Fills in providers and routes when the config has no routes; otherwise returns it unchanged. */
export function withDefaultRoutes(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  if (Object.keys(config.routes).length > 0) return config;
  const providers = { ...config.providers };
  let models: Record<(typeof DEFAULT_ALIASES)[number], string>;
  if (env.OPENAI_API_KEY && !providers.openai) {
    providers.openai = { kind: 'openai', apiKey: 'env:OPENAI_API_KEY' };
    models = { fast: 'openai/gpt-4o-mini', smart: 'openai/gpt-4o', router: 'openai/gpt-4o-mini' };
  } else if (env.ANTHROPIC_API_KEY && !providers.anthropic) {
    providers.anthropic = { kind: 'anthropic', apiKey: 'env:ANTHROPIC_API_KEY' };
    models = {
      fast: 'anthropic/claude-haiku-4-5',
      smart: 'anthropic/claude-sonnet-4-5',
      router: 'anthropic/claude-haiku-4-5',
    };
  } else {
    models = { fast: 'offline/fast', smart: 'offline/smart', router: 'offline/router' };
  }
  const routes = Object.fromEntries(
    DEFAULT_ALIASES.map((alias) => [
      alias,
      {
        strategy: 'fallback' as const,
        targets: [{ model: models[alias] }],
        description: `default ${alias} route`,
      },
    ]),
  );
  return { ...config, providers, routes };
}
