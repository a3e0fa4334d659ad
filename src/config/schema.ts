import { z } from 'zod';
import { baseUrlProblem } from './base-url.ts';
import { hasNestedQuantifier } from './nested-quantifier.ts';

/**
 * The zod schema of switchboard.yaml (../shared/SPEC.md "Configuration"): the single source of
 * the config's types. Objects are strict so a typo is an error with its path, not a silent
 * default. Numbers may arrive as strings from `${VAR}` interpolation and are coerced here.
 */

const numberFromText = (schema: z.ZodNumber) =>
  z.preprocess((value) => {
    if (typeof value !== 'string' || value.trim() === '') return value;
    // Text that is not a number stays text, so the problem reads "expected number, received
    // string" rather than zod's "received NaN", which names no value the user wrote.
    const number = Number(value);
    return Number.isNaN(number) ? value : number;
  }, schema);

const booleanFromText = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean(),
);

const positiveInteger = numberFromText(z.number().int().positive());
const nonNegativeNumber = numberFromText(z.number().nonnegative());

const capability = z.enum(['chat', 'tools', 'vision', 'json_object', 'json_schema', 'reasoning', 'embeddings']);

const serverSchema = z
  .object({
    port: numberFromText(z.number().int().min(0).max(65535)).default(4000),
    host: z.string().optional(),
    max_body_mb: numberFromText(z.number().positive()).default(32),
    master_key: z.string().optional(),
    /** How long SIGTERM waits for in-flight requests before closing them. */
    drain_timeout_ms: positiveInteger.default(30000),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * A "request finished" info line per API request: off by default, since the ledger holds
     * every request (GET /admin/usage) and the line cost ~8% of CPU. true: every request; a
     * number in 0..1: that share of requests, sampled.
     */
    log_requests: z.union([booleanFromText, numberFromText(z.number().min(0).max(1))]).default(false),
    /** Processes serving the port (`--workers`); default: the number of cores. 1: a single process. */
    workers: numberFromText(z.number().int().min(1).max(256)).optional(),
    /** Image URLs fetched for Gemini and Bedrock may point to private addresses (src/upstream/image-fetcher.ts). */
    allow_private_image_urls: booleanFromText.default(false),
  })
  .strict();

const storageSchema = z
  .object({
    url: z.string().default('sqlite://./switchboard.db'),
    redis: z.string().optional(),
    /** PostgreSQL: connections each process keeps at most (src/store/postgres/index.ts). */
    max_connections: numberFromText(z.number().int().min(1).max(1_000)).optional(),
  })
  .strict();

/**
 * An upstream's base URL: HTTP(S) only (file:, ftp:, javascript: are refused), and without
 * user:password@, a query string or a fragment. /admin/providers answers base_url back and the
 * audit log keeps it, so a credential there would leak; and adapters append paths to it, so
 * `/v1?key=…` became `/v1?key=…/chat/completions` while fetch dropped the userinfo. No provider
 * type needs a query here (Azure's api-version is `api_version`). The message never quotes it.
 */
const baseUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).superRefine((value, context) => {
  const problem = baseUrlProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/**
 * Header names and values as undici sends them (its isValidHTTPToken and isValidHeaderValue):
 * anything else failed every call to the provider with a misleading `Connection ... failed
 * (UND_ERR_INVALID_ARG)`, so the config refuses it by path instead. Names are RFC 9110 tokens;
 * values are visible ASCII, spaces, tabs and bytes 0x80-0xFF, so no CR, LF, NUL or other control
 * character. Names are quoted in messages (listings show them too), values never. At most
 * `maxHeaderProblems` are listed: a POST /admin/providers body of 100,000 bad values must not
 * cost 100,000 issues (src/api/validation.ts), and a config lists every realistic case.
 */
const headerNameCharacters = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValueCharacters = /^[\t\x20-\x7e\x80-\xff]*$/;
const maxHeaderProblems = 10;
const headers = z.record(z.string(), z.string()).superRefine((entries, context) => {
  let problems = 0;
  for (const [name, value] of Object.entries(entries)) {
    if (!headerNameCharacters.test(name)) {
      context.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only)` });
    } else if (!headerValueCharacters.test(value)) {
      context.addIssue({ code: 'custom', path: [name], message: 'must not contain line breaks (CR, LF), NUL or other control characters (a tab is fine), nor characters beyond U+00FF' });
    } else {
      continue;
    }
    problems += 1;
    if (problems === maxHeaderProblems) return;
  }
});

/**
 * A credential sent in a header (api_key, AWS keys): visible ASCII only. A newline read with it
 * from a key file or a variable failed every call as a connection error. The message never
 * quotes it.
 */
const credential = z.string().regex(/^[\x21-\x7e]*$/, 'must hold visible ASCII characters only: no spaces, tabs, line breaks or other control characters (a newline left from a key file or variable?)');

/** One `providers[]` entry (also what POST /admin/providers takes). */
export const providerSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only'),
    type: z.string(),
    base_url: baseUrl.optional(),
    api_key: credential.optional(),
    headers: headers.default({}),
    timeout_ms: positiveInteger.default(60000),
    limits: z.object({ rpm: positiveInteger.optional(), tpm: positiveInteger.optional() }).strict().optional(),
    /** Circuit breaker: failures in a row that take a deployment out, and for how long at first. */
    cooldown: z
      .object({ failures: positiveInteger.default(5), seconds: nonNegativeNumber.default(10) })
      .strict()
      .optional(),
    data_policy: z
      .object({ on_prem: booleanFromText.optional(), retains_data: booleanFromText.optional() })
      .strict()
      .optional(),
    /**
     * openai-compatible: the server is vLLM (or another that takes vLLM's
     * `continue_final_message`), so a broken stream can be continued there.
     */
    continue_final_message: booleanFromText.optional(),
    /** azure-openai: the api-version query parameter. */
    api_version: z.string().optional(),
    /** bedrock: AWS region and credentials (default: the standard AWS environment variables). */
    region: z.string().optional(),
    aws_access_key_id: credential.optional(),
    aws_secret_access_key: credential.optional(),
    aws_session_token: credential.optional(),
  })
  .strict();

const pricingSchema = z
  .object({
    input_per_mtok: nonNegativeNumber,
    output_per_mtok: nonNegativeNumber,
    cached_input_per_mtok: nonNegativeNumber.optional(),
    cache_write_per_mtok: nonNegativeNumber.optional(),
    cache_write_1h_per_mtok: nonNegativeNumber.optional(),
  })
  .strict();

const modelSchema = z
  .object({
    id: z.string().min(1),
    provider: z.string(),
    upstream: z.string().optional(),
    pricing: pricingSchema.optional(),
    context_window: positiveInteger.optional(),
    max_output_tokens: positiveInteger.optional(),
    capabilities: z.array(capability).optional(),
    quality: numberFromText(z.number().min(0).max(1)).optional(),
    tags: z.array(z.string()).default([]),
  })
  .strict();

const routeSchema = z
  .object({
    id: z.string().min(1),
    strategy: z.string().default('ordered'),
    candidates: z.array(z.string()).default([]),
    min_quality: numberFromText(z.number().min(0).max(1)).optional(),
    fallbacks: z.array(z.string()).default([]),
    retry: z
      .object({
        attempts: numberFromText(z.number().int().min(0)).default(0),
        backoff_ms: nonNegativeNumber.default(200),
        /** Longest retry-after (429, 503) waited out on the same model; a longer one moves on (docs/routing.md). */
        max_retry_after_ms: nonNegativeNumber.optional(),
      })
      .strict()
      .optional(),
    timeout_ms: positiveInteger.optional(),
    /** Streams: longest wait for the first token before the next candidate (docs/routing.md "Deadlines"). */
    ttft_timeout_ms: positiveInteger.optional(),
    /** Streams: longest silence between two events after the first token. */
    stall_timeout_ms: positiveInteger.optional(),
    /** Continue a stream that breaks after output on a candidate that can (docs/routing.md "Stream resume"). */
    resume_streams: booleanFromText.optional(),
    hedge_after_ms: positiveInteger.optional(),
    split: z.array(z.object({ model: z.string(), weight: nonNegativeNumber }).strict()).optional(),
    cache: z.object({ ttl_s: positiveInteger }).strict().optional(),
    /** Names of `guardrails:` entries applied to requests for this route (docs/guardrails.md). */
    guardrails: z.array(z.string()).default([]),
  })
  .strict();

const ruleSchema = z
  .object({
    when: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).default({}),
    route: z.string().optional(),
    require: z
      .object({ on_prem: booleanFromText.optional(), retains_data: booleanFromText.optional() })
      .strict()
      .optional(),
    deny: z.union([z.boolean(), z.string()]).optional(),
    set: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** Kinds of data the `pii` guardrail detects (src/guardrails/pii.ts). */
export const piiEntityNames = ['email', 'phone', 'card_number', 'iban', 'national_id', 'api_key'] as const;

const guardrailName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only');
const regularExpression = z
  .string()
  .refine((source) => {
    try {
      new RegExp(source, 'iu');
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression')
  .refine(
    (source) => !hasNestedQuantifier(source),
    'a group repeated without bound that holds another repetition (as in "(\\w+\\s?)+") can take exponential time on a long prompt and stall every request; match the distinctive words alone ("project\\s+falcon")',
  );

/** A named guardrail (docs/guardrails.md); routes and keys refer to it by name. */
const guardrailSchema = z.discriminatedUnion('type', [
  z
    .object({
      name: guardrailName,
      type: z.literal('pii'),
      entities: z.array(z.enum(piiEntityNames)).min(1).default([...piiEntityNames]),
      action: z.enum(['redact', 'block', 'on_prem']).default('redact'),
    })
    .strict(),
  z
    .object({ name: guardrailName, type: z.literal('deny'), patterns: z.array(regularExpression).min(1), case_sensitive: booleanFromText.default(false) })
    .strict(),
  z.object({ name: guardrailName, type: z.literal('max_prompt_tokens'), max_tokens: positiveInteger }).strict(),
]);

/** The whole config file. */
export const configSchema = z
  .object({
    server: serverSchema.default(() => serverSchema.parse({})),
    storage: storageSchema.default(() => storageSchema.parse({})),
    providers: z.array(providerSchema).default([]),
    models: z.array(modelSchema).default([]),
    routes: z.array(routeSchema).default([]),
    rules: z.array(ruleSchema).default([]),
    guardrails: z.array(guardrailSchema).default([]),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = Config['providers'][number];
export type ModelConfig = Config['models'][number];
export type RouteConfig = Config['routes'][number];
export type RuleConfig = Config['rules'][number];
export type GuardrailConfig = Config['guardrails'][number];
