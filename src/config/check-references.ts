import type { Config } from './schema.ts';

/** Names defined outside the config: registered provider types and routing strategies. */
export interface KnownNames {
  providerTypes: ReadonlyMap<string, { requiresApiKey: boolean; requiresBaseUrl: boolean }>;
  strategies: readonly string[];
}

/**
 * Checks what the schema cannot: names that must refer to something defined elsewhere in the
 * config, and ids that must be unique. Returns every problem, by path.
 */
export function checkReferences(config: Config, known: KnownNames): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const providerIds = new Set<string>();
  const duplicate = (path: string, kind: string, id: string) => problems.push(`${path}.id: duplicate ${kind} id "${id}"`);

  config.providers.forEach((provider, index) => {
    const path = `providers[${index}]`;
    if (providerIds.has(provider.id)) duplicate(path, 'provider', provider.id);
    providerIds.add(provider.id);
    const type = known.providerTypes.get(provider.type);
    if (!type) {
      problems.push(`${path}.type: unknown provider type "${provider.type}" (known: ${[...known.providerTypes.keys()].join(', ')})`);
      return;
    }
    if (!provider.base_url && type.requiresBaseUrl) problems.push(`${path}.base_url: required for type "${provider.type}"`);
    if (type.requiresApiKey && !provider.api_key) {
      warnings.push(`${path} (${provider.id}): no api_key is set, so calls to it will be rejected upstream`);
    }
  });

  const modelIds = new Set<string>();
  config.models.forEach((model, index) => {
    const path = `models[${index}]`;
    if (modelIds.has(model.id)) duplicate(path, 'model', model.id);
    modelIds.add(model.id);
    if (!providerIds.has(model.provider)) problems.push(`${path}.provider: unknown provider "${model.provider}"`);
  });

  const routeIds = new Set<string>();
  const isModel = (name: string) => modelIds.has(name) || isProviderAddress(name, providerIds);
  config.routes.forEach((route, index) => {
    const path = `routes[${index}]`;
    if (routeIds.has(route.id)) duplicate(path, 'route', route.id);
    if (modelIds.has(route.id)) problems.push(`${path}.id: "${route.id}" is already a model id`);
    routeIds.add(route.id);
    if (!known.strategies.includes(route.strategy)) {
      problems.push(`${path}.strategy: unknown strategy "${route.strategy}" (known: ${known.strategies.join(', ')})`);
    }
    route.candidates.forEach((name, position) => {
      if (!isModel(name)) problems.push(`${path}.candidates[${position}]: unknown model "${name}"`);
    });
    route.fallbacks.forEach((name, position) => {
      if (!isModel(name)) problems.push(`${path}.fallbacks[${position}]: unknown model "${name}"`);
    });
    route.split?.forEach((arm, position) => {
      if (!isModel(arm.model)) problems.push(`${path}.split[${position}].model: unknown model "${arm.model}"`);
    });
    if (route.split && route.split.reduce((sum, arm) => sum + arm.weight, 0) <= 0) {
      problems.push(`${path}.split: weights must add up to more than 0`);
    }
    if (route.candidates.length === 0 && !route.split?.length) {
      problems.push(`${path}.candidates: a route needs at least one candidate (or split arm)`);
    }
  });

  config.rules.forEach((rule, index) => {
    if (rule.route !== undefined && !routeIds.has(rule.route) && !isModel(rule.route)) {
      problems.push(`rules[${index}].route: unknown route "${rule.route}"`);
    }
  });
  return { problems, warnings };
}

/** `<provider id>/<upstream model>` with a configured provider id. */
export function isProviderAddress(name: string, providerIds: ReadonlySet<string>): boolean {
  const slash = name.indexOf('/');
  return slash > 0 && slash < name.length - 1 && providerIds.has(name.slice(0, slash));
}
