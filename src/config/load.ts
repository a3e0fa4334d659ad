import { access, readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { interpolate } from './interpolate.ts';
import { configSchema, type Config } from './schema.ts';
import { checkReferences, referenceProblemsBeside, type KnownNames } from './check-references.ts';
import { redisUrlProblem, storageUrlProblem } from './storage-url.ts';

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

/**
 * Validates a config object (from a file or built from the environment). Every problem is
 * listed at once (../shared/SPEC.md): the schema's, the references between entries (also of
 * entries with shape problems) and the storage URL, in the order of the file's sections.
 */
export function validateConfig(
  raw: unknown,
  source: string | undefined,
  environment: NodeJS.ProcessEnv,
  known: KnownNames,
): LoadedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const { issues } = parsed.error;
    const faulted = issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => formatPath([...issue.path, key])) : [formatPath(issue.path)],
    );
    const rawStorage = (raw as { storage?: { url?: unknown } } | null | undefined)?.storage;
    const url = environment.DATABASE_URL || (typeof rawStorage?.url === 'string' ? rawStorage.url : undefined);
    throw new ConfigError(source ?? 'environment', inConfigOrder([
      ...issues.map(formatIssue),
      ...referenceProblemsBeside(raw, known, faulted),
      ...storageProblems(url, environment),
    ]));
  }
  const config = applyEnvironmentOverrides(parsed.data, environment);
  const { problems, warnings } = checkReferences(config, known);
  problems.push(...storageProblems(config.storage.url, environment), ...redisProblems(config.storage.redis, environment));
  if (problems.length > 0) throw new ConfigError(source ?? 'environment', inConfigOrder(problems));
  return { config, file: source, warnings };
}

/** A storage URL this build cannot open (src/store/open.ts refuses it too, later). */
function storageProblems(url: string | undefined, environment: NodeJS.ProcessEnv): string[] {
  const problem = url === undefined ? undefined : storageUrlProblem(url);
  if (!problem) return [];
  return [`storage.url: ${problem}${environment.DATABASE_URL ? ' (the URL comes from DATABASE_URL)' : ''}`];
}

/** A Redis URL the client cannot use. */
function redisProblems(url: string | undefined, environment: NodeJS.ProcessEnv): string[] {
  const problem = url === undefined ? undefined : redisUrlProblem(url);
  if (!problem) return [];
  return [`storage.redis: ${problem}${environment.REDIS_URL ? ' (the URL comes from REDIS_URL)' : ''}`];
}

const sections: readonly string[] = Object.keys(configSchema.shape);

/**
 * Problems in the order of the config's sections, then of their entries, so that each entry's
 * problems stand together (its shape problems first). A problem of the whole file comes first.
 */
function inConfigOrder(problems: readonly string[]): string[] {
  const place = (problem: string): [number, number] => {
    const [, section = '', index] = /^([A-Za-z_]+)(?:\[(\d+)\])?/.exec(problem) ?? [];
    return [sections.indexOf(section), index === undefined ? -1 : Number(index)];
  };
  return problems
    .map((problem) => ({ problem, place: place(problem) }))
    .sort((a, b) => a.place[0] - b.place[0] || a.place[1] - b.place[1])
    .map(({ problem }) => problem);
}

/** `DATABASE_URL` and `REDIS_URL` override `storage` (../shared/SPEC.md "Running it"). */
function applyEnvironmentOverrides(config: Config, environment: NodeJS.ProcessEnv): Config {
  const url = environment.DATABASE_URL || config.storage.url;
  const redis = environment.REDIS_URL || config.storage.redis;
  return { ...config, storage: { ...config.storage, url, ...(redis ? { redis } : {}) } };
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
