/**
 * Builds the configured providers. The offline provider always exists (it needs nothing), so a
 * fresh install answers from it when no key is configured. With `cassettes`, every provider is
 * wrapped to record its exchanges to, or replay them from, `<dir>/<provider>.json`.
 * @module
 */
import { join } from 'node:path';
import { BatonError } from '../../core/errors.js';
import { type ProviderConfig, resolveSecret } from '../config.js';
import { ProviderError } from '../errors.js';
import { createCassetteProvider } from './cassette/index.js';
import { createOfflineProvider } from './offline/index.js';
import { createOpenAICompatibleProvider } from './openai-compatible.js';
import type { Provider } from './provider.js';

/** Record or replay every provider's exchanges. */
export interface CassetteSettings {
  dir: string;
  mode: 'record' | 'replay' | 'auto';
}

/** Creates one provider from its config. */
export function createProvider(
  name: string,
  config: ProviderConfig,
  env: NodeJS.ProcessEnv = process.env,
): Provider {
  switch (config.kind) {
    case 'openai':
    case 'openai-compatible':
    case 'azure-openai': {
      const baseUrl = config.baseUrl ?? (config.kind === 'openai' ? 'https://api.openai.com/v1' : undefined);
      if (baseUrl === undefined) {
        throw new BatonError('CONFIG_INVALID', `provider ${name} (${config.kind}) needs a baseUrl`, {
          hint: 'e.g. http://127.0.0.1:11434/v1 for Ollama',
        });
      }
      const apiKey = resolveSecret(config.apiKey, env);
      return createOpenAICompatibleProvider({
        name,
        baseUrl,
        ...(apiKey === undefined ? {} : { apiKey }),
        ...(config.headers ? { headers: config.headers } : {}),
        ...(config.kind === 'azure-openai'
          ? { azure: { apiVersion: config.apiVersion ?? '2024-10-21' } }
          : {}),
        ...(config.connections ? { connections: config.connections } : {}),
      });
    }
    case 'anthropic':
    case 'gemini': {
      const apiKey = resolveSecret(config.apiKey, env);
      if (apiKey === undefined) {
        throw new BatonError(
          'CONFIG_INVALID',
          `provider ${name} (${config.kind}) has no API key: ${config.apiKey ?? 'apiKey is not set'}`,
          {
            hint: `Set providers.${name}.apiKey to env:YOUR_VARIABLE and export it, or remove the provider`,
          },
        );
      }
      const options = {
        name,
        apiKey,
        ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
        ...(config.headers ? { headers: config.headers } : {}),
      };
      const kind = config.kind;
      // The AI SDK's modules weigh about 20 MB of memory: loaded only when such a provider is first called.
      return lazyProvider(
        name,
        async () => {
          const sdk = await import('./ai-sdk/index.js');
          return kind === 'anthropic'
            ? sdk.createAnthropicProvider(options)
            : sdk.createGeminiProvider(options);
        },
        { embeddings: kind === 'gemini' },
      );
    }
    case 'offline':
      return createOfflineProvider(config.rulesFile ? { rulesFile: config.rulesFile } : {});
  }
}

/**
 * A provider created on its first call. Whether it has `embed` must be known before the load
 * (the gateway and the cassette wrapper look for the method), so the caller says: Gemini has
 * embeddings, Anthropic has none, and without `embed` the gateway answers PROVIDER_NOT_FOUND.
 */
function lazyProvider(
  name: string,
  load: () => Promise<Provider>,
  { embeddings }: { embeddings: boolean },
): Provider {
  let loaded: Promise<Provider> | undefined;
  const get = (): Promise<Provider> => {
    // A failed load is not kept: the next call tries again.
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
  const provider: Provider = {
    name,
    async chat(request, call) {
      return (await get()).chat(request, call);
    },
    async *chatStream(request, call) {
      yield* (await get()).chatStream(request, call);
    },
    async close() {
      if (loaded) await (await loaded).close?.();
    },
  };
  if (embeddings) {
    provider.embed = async (request, call) => {
      const loadedProvider = await get();
      if (!loadedProvider.embed) {
        throw new ProviderError('PROVIDER_NOT_FOUND', `${call.target} has no embeddings`, {
          target: call.target,
          hint: 'Route embeddings to an OpenAI, OpenAI-compatible, Gemini or offline target',
        });
      }
      return loadedProvider.embed(request, call);
    };
  }
  return provider;
}

/** Creates every configured provider, plus `offline` when not configured. */
export function createProviders(
  configs: Readonly<Record<string, ProviderConfig>>,
  options: { env?: NodeJS.ProcessEnv; cassettes?: CassetteSettings } = {},
): Map<string, Provider> {
  const providers = new Map<string, Provider>();
  for (const [name, config] of Object.entries(configs))
    providers.set(name, createProvider(name, config, options.env));
  if (!providers.has('offline')) providers.set('offline', createOfflineProvider());
  if (options.cassettes) {
    const { dir, mode } = options.cassettes;
    for (const [name, provider] of providers) {
      if (provider.offline) continue;
      providers.set(
        name,
        createCassetteProvider(mode === 'replay' ? undefined : provider, {
          path: join(dir, `${name}.json`),
          mode,
          name,
        }),
      );
    }
  }
  return providers;
}
