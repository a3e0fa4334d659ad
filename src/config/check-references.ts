import { checkGuardrailReferences } from './check-guardrails.ts';
import { readableConfig, type ReadableConfig } from './readable-config.ts';

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
 * The reference problems (unknown providers, models, routes, types, strategies, duplicate ids...)
 * of a config that failed the schema, so that one start lists every problem (../shared/SPEC.md),
 * not these only once the others are fixed. Every entry is checked, also one with shape problems
 * in other fields (readable-config.ts reads what it can). A problem at or under a path the schema
 * faulted (`faulted`: `models[1].provider`, `routes[0]` for an entry that is not an object) is
 * left out: the schema's problem already names that field, and the reference pass read nothing
 * there (a `candidates` that is not a list is not also "a route needs at least one candidate").
 */
export function referenceProblemsBeside(raw: unknown, known: KnownNames, faulted: readonly string[]): string[] {
  const within = (problem: string, path: string) => problem.startsWith(path) && /^[.[:]/.test(problem.slice(path.length));
  return checkReferences(readableConfig(raw), known).problems.filter((problem) => !faulted.some((path) => within(problem, path)));
}

/**
 * Checks what the schema cannot: names that must refer to something defined elsewhere in the
 * config, and ids that must be unique. Returns every problem, by path. A field that could not be
 * read (undefined in a `ReadableConfig`) is not checked.
 */
export function checkReferences(config: ReadableConfig, known: KnownNames): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const providerIds = new Set<string>();
  const duplicate = (path: string, kind: string, id: string) => problems.push(`${path}.id: duplicate ${kind} id "${id}"`);

  config.providers.forEach((provider, index) => {
    const path = `providers[${index}]`;
    if (provider.id !== undefined) {
      if (providerIds.has(provider.id)) duplicate(path, 'provider', provider.id);
      providerIds.add(provider.id);
    }
    if (provider.type === undefined) return;
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
    if (model.id !== undefined) {
      if (modelIds.has(model.id)) duplicate(path, 'model', model.id);
      modelIds.add(model.id);
    }
    if (model.provider !== undefined && !providerIds.has(model.provider)) problems.push(`${path}.provider: unknown provider "${model.provider}"`);
  });

  const routeIds = new Set<string>();
  const isModel = (name: string) => modelIds.has(name) || isProviderAddress(name, providerIds);
  config.routes.forEach((route, index) => {
    const path = `routes[${index}]`;
    if (route.id !== undefined) {
      if (routeIds.has(route.id)) duplicate(path, 'route', route.id);
      if (modelIds.has(route.id)) problems.push(`${path}.id: "${route.id}" is already a model id`);
      routeIds.add(route.id);
    }
    if (route.strategy !== undefined && !known.strategies.includes(route.strategy)) problems.push(unknownStrategy(path, route.strategy, known));
    route.candidates.forEach((name, position) => {
      if (name !== undefined && !isModel(name)) problems.push(`${path}.candidates[${position}]: unknown model "${name}"`);
    });
    route.fallbacks.forEach((name, position) => {
      if (name !== undefined && !isModel(name)) problems.push(`${path}.fallbacks[${position}]: unknown model "${name}"`);
    });
    route.split?.forEach((arm, position) => {
      if (arm.model !== undefined && !isModel(arm.model)) problems.push(`${path}.split[${position}].model: unknown model "${arm.model}"`);
    });
    const weights = route.split?.map((arm) => arm.weight);
    if (weights?.every((weight) => weight !== undefined) && weights.reduce((sum, weight) => sum + weight, 0) <= 0) {
      problems.push(`${path}.split: weights must add up to more than 0`);
    }
    if (route.candidates.length === 0 && !route.split?.length) {
      problems.push(`${path}.candidates: a route needs at least one candidate (or split arm)`);
    }
  });

  config.rules.forEach((rule, index) => {
    const path = `rules[${index}]`;
    if (typeof rule.route === 'string' && !routeIds.has(rule.route) && !isModel(rule.route)) {
      problems.push(`${path}.route: unknown route "${rule.route}"`);
    }
    for (const [key, value] of Object.entries(rule.when)) {
      if (!conditionKey.test(key)) {
        problems.push(`${path}.when.${key}: unknown condition (use metadata.<name>, header.<name>, key, team, model, user or time)`);
      } else if (key === 'time' && !timeWindowPattern.test(String(value).trim())) {
        problems.push(`${path}.when.time: must look like "09:00-17:00" (UTC, hours 00-23)`);
      }
    }
    for (const [key, value] of Object.entries(rule.set ?? {})) {
      if (!overridableParameters.has(key)) {
        problems.push(`${path}.set.${key}: cannot be overridden (use ${[...overridableParameters].join(', ')})`);
      } else {
        const problem = overrideValueProblem(key, value);
        if (problem) problems.push(`${path}.set.${key}: ${problem}`);
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
/**
 * A rule's `time` window, "09:00-17:30" (UTC): hours 0-23 and minutes 0-59, or "25:00" would
 * compile to a window past midnight that never closes. The rule engine reads it with the same
 * pattern (src/router/rules.ts `compileTimeWindow`).
 */
export const timeWindowPattern = /^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$/;

/** Request parameters a rule's `set` may override (OpenAI names). */
export const overridableParameters: ReadonlySet<string> = new Set([
  'temperature', 'top_p', 'top_k', 'max_tokens', 'seed', 'stop', 'presence_penalty', 'frequency_penalty', 'reasoning_effort',
]);

/**
 * What is wrong with a `set` value, if anything: a number parameter takes a number (or its text,
 * as `${VAR}` gives it), `stop` a text or a list of texts, `reasoning_effort` a text. Without this
 * check `temperature: hot` was sent as null and `"0.5"` as a string, refused by every provider.
 */
function overrideValueProblem(key: string, value: unknown): string | undefined {
  if (key === 'stop') return typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string')) ? undefined : 'must be a text or a list of texts';
  if (key === 'reasoning_effort') return typeof value === 'string' && value !== '' ? undefined : 'must be a text (e.g. low, medium, high)';
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) return 'must be a number';
  if ((key === 'max_tokens' || key === 'seed' || key === 'top_k') && !Number.isInteger(number)) return 'must be a whole number';
  if ((key === 'max_tokens' || key === 'top_k') && number < 1) return 'must be at least 1';
  return undefined;
}

/** `<provider id>/<upstream model>` with a configured provider id. */
export function isProviderAddress(name: string, providerIds: ReadonlySet<string>): boolean {
  const slash = name.indexOf('/');
  return slash > 0 && slash < name.length - 1 && providerIds.has(name.slice(0, slash));
}
