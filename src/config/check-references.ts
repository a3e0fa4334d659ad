import { checkGuardrailReferences } from './check-guardrails.ts';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

/** Names defined outside the config: registered provider types and routing strategies. */
export interface KnownNames {
  providerTypes: ReadonlyMap<string, { requiresApiKey: boolean; requiresBaseUrl: boolean }>;
  strategies: readonly string[];
}

const unknownType = (path: string, type: string, known: KnownNames) =>
  `${path}.type: unknown provider type "${type}" (known: ${[...known.providerTypes.keys()].join(', ')})`;
const unknownStrategy = (path: string, strategy: string, known: KnownNames) =>
  `${path}.strategy: unknown strategy "${strategy}" (known: ${known.strategies.join(', ')})`;

/**
 * The reference problems (unknown providers, models, routes, types, strategies...) of a config
 * that failed the schema, so that one start lists every problem (../shared/SPEC.md), not these
 * only once the others are fixed. The reference pass runs over the raw config with its lists
 * defaulted, leaving out what concerns an entry the schema already faulted (its problems would
 * repeat the schema's). A raw config too broken for that pass gives the unknown types and
 * strategies alone.
 */
export function referenceProblemsBeside(raw: unknown, known: KnownNames, shapeProblems: readonly string[]): string[] {
  let problems: string[];
  try {
    problems = checkReferences(withListDefaults(raw), known).problems;
  } catch {
    problems = unknownNamesIn(raw, known);
  }
  const entryOf = (problem: string) => /^[a-z_]+\[\d+\]/.exec(problem)?.[0];
  const faulted = new Set(shapeProblems.map(entryOf));
  return problems.filter((problem) => !shapeProblems.includes(problem) && !faulted.has(entryOf(problem) ?? ''));
}

/**
 * The entries of a raw config's list `name`, at their positions (a problem's path is its index
 * there); an entry that is not an object stands as an empty one.
 */
function entriesIn(raw: unknown, name: string): Array<Record<string, unknown>> {
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
  return Array.isArray(value) ? value.map((entry: unknown) => (typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {})) : [];
}

/**
 * A raw config as the reference pass can walk it: each list entry the schema takes, with its
 * defaults (a route's strategy, candidates...), and one it does not as it is, its lists
 * defaulted (its own problems are the schema's; its id still names it for the others).
 */
function withListDefaults(raw: unknown): Config {
  const list = (value: unknown) => (Array.isArray(value) ? value : []);
  const lists = configSchema.shape;
  const parsed = (schema: z.ZodType, entry: Record<string, unknown>): unknown => {
    const result = schema.safeParse(entry);
    return result.success ? result.data : entry;
  };
  return {
    ...(typeof raw === 'object' && raw !== null ? raw : {}),
    providers: entriesIn(raw, 'providers').map((entry) => parsed(lists.providers.unwrap().element, entry)),
    models: entriesIn(raw, 'models').map((entry) => parsed(lists.models.unwrap().element, entry)),
    guardrails: entriesIn(raw, 'guardrails').map((entry) => parsed(lists.guardrails.unwrap().element, entry)),
    routes: entriesIn(raw, 'routes').map((entry) => {
      const route = parsed(lists.routes.unwrap().element, entry) as Record<string, unknown>;
      return { ...route, candidates: list(route.candidates), fallbacks: list(route.fallbacks), guardrails: list(route.guardrails) };
    }),
    rules: entriesIn(raw, 'rules').map((entry) => {
      const rule = parsed(lists.rules.unwrap().element, entry) as Record<string, unknown>;
      return { ...rule, when: typeof rule.when === 'object' && rule.when !== null ? rule.when : {} };
    }),
  } as unknown as Config;
}

/** The unknown provider types and route strategies of a raw config, where they can be read. */
function unknownNamesIn(raw: unknown, known: KnownNames): string[] {
  const problems: string[] = [];
  entriesIn(raw, 'providers').forEach(({ type }, index) => {
    if (typeof type === 'string' && !known.providerTypes.has(type)) problems.push(unknownType(`providers[${index}]`, type, known));
  });
  entriesIn(raw, 'routes').forEach(({ strategy }, index) => {
    if (typeof strategy === 'string' && !known.strategies.includes(strategy)) problems.push(unknownStrategy(`routes[${index}]`, strategy, known));
  });
  return problems;
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
      problems.push(unknownType(path, provider.type, known));
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
    if (!known.strategies.includes(route.strategy)) problems.push(unknownStrategy(path, route.strategy, known));
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
    const path = `rules[${index}]`;
    if (rule.route !== undefined && !routeIds.has(rule.route) && !isModel(rule.route)) {
      problems.push(`${path}.route: unknown route "${rule.route}"`);
    }
    for (const [key, value] of Object.entries(rule.when)) {
      if (!conditionKey.test(key)) {
        problems.push(`${path}.when.${key}: unknown condition (use metadata.<name>, header.<name>, key, team, model, user or time)`);
      } else if (key === 'time' && !timeWindow.test(String(value))) {
        problems.push(`${path}.when.time: must look like "09:00-17:00" (UTC)`);
      }
    }
    for (const key of Object.keys(rule.set ?? {})) {
      if (!overridableParameters.has(key)) {
        problems.push(`${path}.set.${key}: cannot be overridden (use ${[...overridableParameters].join(', ')})`);
      }
    }
    if (rule.route === undefined && rule.require === undefined && rule.deny === undefined && rule.set === undefined) {
      problems.push(`${path}: a rule needs an action (route, require, deny or set)`);
    }
  });
  problems.push(...checkGuardrailReferences(config));
  return { problems, warnings };
}

const conditionKey = /^(metadata\.[^.\s]+|header\.[A-Za-z0-9-]+|key|team|model|user|time)$/;
const timeWindow = /^\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}$/;

/** Request parameters a rule's `set` may override (OpenAI names). */
export const overridableParameters: ReadonlySet<string> = new Set([
  'temperature', 'top_p', 'top_k', 'max_tokens', 'seed', 'stop', 'presence_penalty', 'frequency_penalty', 'reasoning_effort',
]);

/** `<provider id>/<upstream model>` with a configured provider id. */
export function isProviderAddress(name: string, providerIds: ReadonlySet<string>): boolean {
  const slash = name.indexOf('/');
  return slash > 0 && slash < name.length - 1 && providerIds.has(name.slice(0, slash));
}
