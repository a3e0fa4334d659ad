/** A provider type that no-config mode can turn on from an environment variable. */
export interface EnvironmentProvider {
  type: string;
  /** The variable that turns it on (e.g. OPENAI_API_KEY, OLLAMA_BASE_URL). */
  variable: string;
  /** Whether the variable holds the API key or the base URL. */
  carries: 'api_key' | 'base_url';
  /** Upstream model names of the built-in catalog for this type. */
  catalogModels: readonly string[];
}

/** Demo models: priced like small and mid-size real models, so routing and cost headers are realistic. */
const demoModels = [
  { id: 'demo-fast', provider: 'demo', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 }, context_window: 128000, capabilities: ['chat', 'tools', 'json_object'], quality: 0.6, tags: ['chat'] },
  { id: 'demo-smart', provider: 'demo', pricing: { input_per_mtok: 2.5, output_per_mtok: 10 }, context_window: 200000, capabilities: ['chat', 'tools', 'vision', 'json_object', 'json_schema'], quality: 0.9, tags: ['chat', 'code'] },
  { id: 'demo-embed', provider: 'demo', pricing: { input_per_mtok: 0.02, output_per_mtok: 0 }, capabilities: ['embeddings'], tags: [] },
];

/**
 * The config used when there is no config file (../shared/SPEC.md "Running it"): one provider
 * per provider variable set in the environment (id = type; a key, or Ollama's base URL), each
 * exposing the catalog's models under their upstream names (the first provider to claim a
 * name keeps it; every model stays reachable as `<provider>/<model>`). With no key at all, the
 * demo provider. Returns a raw config for the usual validation, and what it did, for printing.
 */
export function configFromEnvironment(
  environment: NodeJS.ProcessEnv,
  providers: readonly EnvironmentProvider[],
): { raw: Record<string, unknown>; notes: string[] } {
  const configured: Array<Record<string, unknown>> = [];
  const models: Array<Record<string, unknown>> = [];
  const taken = new Set<string>();
  const notes: string[] = [];
  const addModels = (providerId: string, names: readonly string[]) => {
    for (const name of names) {
      // A name like "openai/gpt-4o" would shadow the `<provider>/<model>` address of a configured provider.
      if (taken.has(name) || providers.some((provider) => name.startsWith(`${provider.type}/`) && environment[provider.variable])) continue;
      taken.add(name);
      models.push({ id: name, provider: providerId, upstream: name });
    }
  };
  for (const provider of providers) {
    const value = environment[provider.variable];
    if (!value) continue;
    configured.push({ id: provider.type, type: provider.type, [provider.carries]: value });
    addModels(provider.type, provider.catalogModels);
    const where = provider.carries === 'base_url' ? ` at ${value}` : '';
    notes.push(`${provider.variable} is set: provider "${provider.type}"${where} with ${provider.catalogModels.length} catalog models`);
  }
  const server: Record<string, unknown> = {};
  if (environment.SWITCHBOARD_MASTER_KEY) server.master_key = environment.SWITCHBOARD_MASTER_KEY;
  if (configured.length === 0) {
    notes.push('No provider key is set (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...): demo mode, every answer is simulated');
    return {
      raw: {
        server,
        providers: [{ id: 'demo', type: 'demo' }],
        models: demoModels,
        routes: [{ id: 'auto', strategy: 'cost', candidates: ['demo-fast', 'demo-smart'], fallbacks: [] }],
      },
      notes,
    };
  }
  return { raw: { server, providers: configured, models }, notes };
}
