import type { z } from 'zod';
import { configSchema } from './schema.ts';

/**
 * What the reference checks (check-references.ts) read of a config: a valid `Config` is one, and
 * so is what `readableConfig` can read of a config the schema refused. A field that cannot be
 * read is undefined (a list's element too, so the others keep their positions).
 */
export interface ReadableConfig {
  providers: readonly ReadableProvider[];
  models: readonly ReadableModel[];
  routes: readonly ReadableRoute[];
  rules: readonly ReadableRule[];
  guardrails: readonly ReadableGuardrail[];
}

export interface ReadableProvider {
  id?: string;
  type?: string;
  base_url?: string;
  api_key?: string;
}

export interface ReadableModel {
  id?: string;
  provider?: string;
}

export interface ReadableGuardrail {
  name?: string;
}

export interface ReadableRoute {
  id?: string;
  strategy?: string;
  candidates: ReadonlyArray<string | undefined>;
  fallbacks: ReadonlyArray<string | undefined>;
  split?: ReadonlyArray<{ model?: string; weight?: number }>;
  guardrails: ReadonlyArray<string | undefined>;
}

export interface ReadableRule {
  /** A route or model name when it is a string; any other value still counts as an action. */
  route?: unknown;
  when: Readonly<Record<string, unknown>>;
  require?: unknown;
  deny?: unknown;
  set?: Readonly<Record<string, unknown>>;
}

/**
 * What the reference checks can read of a config that failed the schema, so that its reference
 * problems are listed with the schema's (../shared/SPEC.md: every problem at once). An entry the
 * schema takes is read as parsed (defaults, numbers from text); one it refuses is read field by
 * field, each field that has the expected kind of value (an id that breaks the naming rule still
 * names the entry for the others). An entry that is not an object reads as an empty one, so the
 * entries after it keep their positions in the paths.
 */
export function readableConfig(raw: unknown): ReadableConfig {
  const lists = configSchema.shape;
  return {
    providers: read<ReadableProvider>(raw, 'providers', lists.providers.unwrap().element, (entry) => ({
      id: text(entry.id),
      type: text(entry.type),
      base_url: text(entry.base_url),
      api_key: text(entry.api_key),
    })),
    models: read<ReadableModel>(raw, 'models', lists.models.unwrap().element, (entry) => ({ id: text(entry.id), provider: text(entry.provider) })),
    routes: read<ReadableRoute>(raw, 'routes', lists.routes.unwrap().element, (entry) => ({
      id: text(entry.id),
      strategy: text(entry.strategy),
      candidates: texts(entry.candidates),
      fallbacks: texts(entry.fallbacks),
      split: splitArms(entry.split),
      guardrails: texts(entry.guardrails),
    })),
    rules: read<ReadableRule>(raw, 'rules', lists.rules.unwrap().element, (entry) => ({
      route: entry.route,
      when: record(entry.when),
      require: entry.require,
      deny: entry.deny,
      set: entry.set === undefined ? undefined : record(entry.set),
    })),
    guardrails: read<ReadableGuardrail>(raw, 'guardrails', lists.guardrails.unwrap().element, (entry) => ({ name: text(entry.name) })),
  };
}

/** The entries of the raw list `name`: each as the schema parses it, else as `reader` reads it. */
function read<Entry>(raw: unknown, name: string, schema: z.ZodType<Entry>, reader: (entry: Record<string, unknown>) => Entry): Entry[] {
  const list = record(raw)[name];
  if (!Array.isArray(list)) return [];
  return list.map((entry: unknown) => {
    const parsed = schema.safeParse(entry);
    return parsed.success ? parsed.data : reader(record(entry));
  });
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function texts(value: unknown): Array<string | undefined> {
  return Array.isArray(value) ? value.map(text) : [];
}

/**
 * A route's split arms. A `split` that is not a list stands as one arm that cannot be read, so
 * the route is not also reported as having no candidate (the schema reports the split).
 */
function splitArms(value: unknown): ReadableRoute['split'] {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return [{}];
  return value.map((arm: unknown) => {
    const { model, weight } = record(arm);
    const number = typeof weight === 'string' && weight.trim() !== '' ? Number(weight) : weight;
    return { model: text(model), weight: typeof number === 'number' && Number.isFinite(number) ? number : undefined };
  });
}
