import { access, readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { interpolate } from './interpolate.ts';
import { configSchema, type Config } from './schema.ts';
import { checkReferences, unknownNamesIn, type KnownNames } from './check-references.ts';

/** A config that cannot be used; `problems` lists each as `path: message`. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`Invalid configuration (${source}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A validated config and where it came from. */
export interface LoadedConfig {
  config: Config;
  /** The file read, or undefined when the config was built from the environment. */
  file?: string;
  /** Things that work but deserve the operator's attention, printed at startup. */
  warnings: string[];
}

/**
 * Picks the config file as ../shared/SPEC.md says: `--config`, else ./switchboard.yaml if
 * present, else SWITCHBOARD_CONFIG. Undefined means "build the config from the environment".
 */
export async function findConfigFile(explicit: string | undefined, environment: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (explicit) return explicit;
  try {
    await access('switchboard.yaml');
    return 'switchboard.yaml';
  } catch {
    return environment.SWITCHBOARD_CONFIG || undefined;
  }
}

/** Reads, interpolates and validates a config file; throws ConfigError listing every problem. */
export async function loadConfigFile(file: string, environment: NodeJS.ProcessEnv, known: KnownNames): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  // Loaded here, not with the module: workers and the admin API validate configs they receive
  // as objects and never parse YAML.
  const { parseDocument } = await import('yaml');
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(file, document.errors.map((error) => `YAML: ${error.message.split('\n')[0]}`));
  }
  const raw = interpolate(document.toJS() ?? {}, environment);
  return validateConfig(raw, file, environment, known);
}

/** Validates a config object (from a file or built from the environment). */
export function validateConfig(
  raw: unknown,
  source: string | undefined,
  environment: NodeJS.ProcessEnv,
  known: KnownNames,
): LoadedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const shapeProblems = parsed.error.issues.map(formatIssue);
    throw new ConfigError(source ?? 'environment', [...shapeProblems, ...referenceProblemsBeside(raw, known, shapeProblems)]);
  }
  const config = applyEnvironmentOverrides(parsed.data, environment);
  const { problems, warnings } = checkReferences(config, known);
  if (problems.length > 0) throw new ConfigError(source ?? 'environment', problems);
  return { config, file: source, warnings };
}

/**
 * The reference problems (unknown providers, models, routes, types, strategies...) of a config
 * that failed the schema, so that one start lists every problem (../shared/SPEC.md): the
 * reference pass runs over the raw config with its lists defaulted, leaving out what concerns an
 * entry the schema already faulted (its problems would repeat the schema's). A raw config too
 * broken for that pass gives the unknown types and strategies alone.
 */
function referenceProblemsBeside(raw: unknown, known: KnownNames, shapeProblems: readonly string[]): string[] {
  let problems: string[];
  try {
    problems = checkReferences(withListDefaults(raw), known).problems;
  } catch {
    problems = unknownNamesIn(raw, known);
  }
  const faulted = new Set(shapeProblems.map((problem) => /^[a-z_]+\[\d+\]/.exec(problem)?.[0]).filter((entry) => entry !== undefined));
  return problems.filter((problem) => {
    const entry = /^[a-z_]+\[\d+\]/.exec(problem)?.[0];
    return !shapeProblems.includes(problem) && (entry === undefined || !faulted.has(entry));
  });
}

/** A raw config with the lists the reference pass walks defaulted as the schema defaults them. */
function withListDefaults(raw: unknown): Config {
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((entry) => typeof entry === 'object' && entry !== null) : []) as Array<Record<string, unknown>>;
  return {
    ...record,
    providers: list(record.providers),
    models: list(record.models),
    guardrails: list(record.guardrails),
    routes: list(record.routes).map((route) => ({
      ...route,
      candidates: Array.isArray(route.candidates) ? route.candidates : [],
      fallbacks: Array.isArray(route.fallbacks) ? route.fallbacks : [],
      guardrails: Array.isArray(route.guardrails) ? route.guardrails : [],
    })),
    rules: list(record.rules).map((rule) => ({ ...rule, when: typeof rule.when === 'object' && rule.when !== null ? rule.when : {} })),
  } as unknown as Config;
}

/** `DATABASE_URL` and `REDIS_URL` override `storage` (../shared/SPEC.md "Running it"). */
function applyEnvironmentOverrides(config: Config, environment: NodeJS.ProcessEnv): Config {
  const url = environment.DATABASE_URL || config.storage.url;
  const redis = environment.REDIS_URL || config.storage.redis;
  return { ...config, storage: { url, ...(redis ? { redis } : {}) } };
}

/** `providers[0].type: Invalid input` from a zod issue. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** Renders a path as `models[2].provider`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(root)' : text;
}
