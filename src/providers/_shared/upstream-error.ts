import { GatewayError, type ErrorCode, type GatewayErrorOptions } from '../../core/errors.ts';
import type { UpstreamResponse } from '../../core/http-client.ts';
import type { ProviderSettings } from '../../core/provider-adapter.ts';
import { configuredSecrets, createRedactor, type Redact } from './redact-secrets.ts';
import { parseRetryAfter } from './retry-after.ts';

/**
 * Where upstream text comes from: the provider's id, and how to take its secrets out of that
 * text. Built once per adapter (upstreamSource), handed to every helper that reads a provider's
 * words.
 */
export interface UpstreamSource {
  provider: string;
  redact: Redact;
}

/**
 * The source of one configured provider: its configured secrets, plus any it found elsewhere
 * (Bedrock's credentials from the environment), compiled into its redactor now.
 */
export function upstreamSource(settings: ProviderSettings, moreSecrets: Iterable<string | undefined> = []): UpstreamSource {
  return { provider: settings.id, redact: createRedactor([...configuredSecrets(settings), ...moreSecrets]) };
}

/**
 * A GatewayError that quotes a provider: the one way upstream text becomes an error message.
 * A provider, or a proxy in front of it, may echo the credentials it was sent; they are taken
 * out here, before the message reaches the caller, the ledger or a log line.
 */
export function upstreamError(code: ErrorCode, source: UpstreamSource, heading: string, upstreamText: string | undefined, options: GatewayErrorOptions = {}): GatewayError {
  const message = upstreamText === undefined || upstreamText === '' ? heading : `${heading}: ${source.redact(upstreamText)}`;
  return new GatewayError(code, message, { ...options, provider: source.provider });
}

/** What an adapter extracts from a provider's error body. */
export interface ProviderErrorDetail {
  message?: string;
  /** The provider's own error code or type, e.g. `context_length_exceeded`. */
  code?: string;
  /** The request field the provider faulted (OpenAI's `param`), where it says. */
  param?: string;
  /**
   * The account has no credit left, whatever the status says: OpenAI answers it with a 429
   * whose type is `insufficient_quota`, not a 402 (openai-compatible/errors.ts), Anthropic with a
   * 400 "Your credit balance is too low" (anthropic/errors.ts).
   */
  outOfCredit?: boolean;
}

/**
 * An error object the provider sent inside a 200 (a body, or an event of a stream it had
 * answered): SB_ERR_UPSTREAM_ERROR (docs/errors.md), retryable, with the status the provider did
 * send. Not coded as a 5xx would be: the provider gave no status for it, and the ledger's
 * attempt says 200.
 */
export function errorInAnswer(source: UpstreamSource, message: string | undefined): GatewayError {
  return upstreamError('SB_ERR_UPSTREAM_ERROR', source, `Provider "${source.provider}" answered with an error`, message?.trim() || 'unknown error', { upstreamStatus: 200 });
}

/** Reads an error body into a message; each adapter knows its provider's error shape. */
export type ReadErrorBody = (body: unknown) => ProviderErrorDetail;

// Context-window overflows, as each provider words them (Anthropic: "prompt is too long", and
// "input length and `max_tokens` exceed context limit" when the output asked for does not fit). Compiled once.
const contextLengthPattern =
  /context[_ ]length|context window|maximum context|prompt is too long|exceed context limit|too many tokens|exceeds the maximum number of tokens|input is too long|maximum input length|reduce the length/i;

/**
 * Turns a provider's non-2xx answer into a GatewayError that keeps the provider's message and,
 * for a 429, its retry-after. Reads (and so releases) the body.
 */
export async function errorFromResponse(response: UpstreamResponse, source: UpstreamSource, readBody: ReadErrorBody): Promise<GatewayError> {
  const { json, textMessage } = await readErrorBody(response, source);
  let detail: ProviderErrorDetail;
  try {
    detail = json === undefined ? { message: textMessage } : readBody(json);
  } catch {
    detail = { message: textMessage };
  }
  return errorFromStatus(response.status, source, detail, parseRetryAfter(response.headers));
}

/**
 * The most of an error body read: error bodies are a few hundred bytes, and only their start is
 * reported. A longer one (an upstream that never ends its 500) is not read further, its connection
 * is closed, and the error is reported from its status alone.
 */
export const errorBodyLimit = 1024 * 1024;

/**
 * Reads (and so releases) a non-2xx answer's body, up to `errorBodyLimit`: its JSON value
 * (undefined when the body is not JSON), and the start of its text, the message to report when
 * the JSON gives none. The text is redacted before it is cut short: cut first, a secret at the cut
 * would lose its end and no longer be recognised.
 */
export async function readErrorBody(response: UpstreamResponse, source: UpstreamSource): Promise<{ json: unknown; textMessage: string | undefined }> {
  const text = await response.text(errorBodyLimit).catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { json, textMessage: source.redact(text.slice(0, 4096)).slice(0, 500) || undefined };
}

/** Maps a provider's HTTP status and error detail to a GatewayError code. */
export function errorFromStatus(
  status: number,
  source: UpstreamSource,
  detail: ProviderErrorDetail,
  retryAfterSeconds?: number,
): GatewayError {
  const code = codeForStatus(status, detail);
  return upstreamError(code, source, `Provider "${source.provider}" answered ${status}`, detail.message?.trim() || `HTTP ${status}`, {
    upstreamStatus: status,
    retryAfterSeconds,
    ...(code === 'SB_ERR_CONTEXT_LENGTH' ? { publicCode: 'context_length_exceeded' } : {}),
    // A 400 any model would share goes back as the provider gave it (../shared/SPEC.md): its own
    // code and the field it faulted, not only our code for "the provider refused the request".
    ...(code === 'SB_ERR_UPSTREAM_BAD_REQUEST' && detail.code ? { publicCode: source.redact(detail.code) } : {}),
    ...(code === 'SB_ERR_UPSTREAM_BAD_REQUEST' && detail.param ? { param: source.redact(detail.param) } : {}),
  });
}

function codeForStatus(status: number, detail: ProviderErrorDetail): ErrorCode {
  // An account out of credit, whatever status the provider words it with (Anthropic: a 400): see below.
  if (detail.outOfCredit && status >= 400 && status < 500) return 'SB_ERR_UPSTREAM_AUTH';
  if (status === 400 || status === 413 || status === 422) {
    const text = `${detail.code ?? ''} ${detail.message ?? ''}`;
    return contextLengthPattern.test(text) ? 'SB_ERR_CONTEXT_LENGTH' : 'SB_ERR_UPSTREAM_BAD_REQUEST';
  }
  // 402: the account has no credit left (Anthropic's billing_error, Gemini's prepay balance,
  // DeepSeek's "Insufficient Balance"; OpenAI's 429 `insufficient_quota`): like rejected
  // credentials, the deployment cannot serve anyone until its operator acts, so the next
  // candidate is tried at once, and a caller is not told to come back in a second.
  if (status === 401 || status === 402 || status === 403 || detail.outOfCredit) return 'SB_ERR_UPSTREAM_AUTH';
  if (status === 404) return 'SB_ERR_UPSTREAM_NOT_FOUND';
  if (status === 408 || status === 504) return 'SB_ERR_UPSTREAM_TIMEOUT';
  if (status === 429) return 'SB_ERR_UPSTREAM_RATE_LIMITED';
  // 529 is Anthropic's "overloaded"; 503 everyone's "unavailable".
  if (status === 503 || status === 529) return 'SB_ERR_UPSTREAM_UNAVAILABLE';
  return 'SB_ERR_UPSTREAM_ERROR';
}

/**
 * Parses a provider's JSON body, or fails with SB_ERR_UPSTREAM_INVALID_RESPONSE. The parse error
 * is not kept as the cause: its message quotes the provider's bytes, and log lines print causes.
 */
export function parseProviderJson(text: string, provider: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('SB_ERR_UPSTREAM_INVALID_RESPONSE', `Provider "${provider}" sent a body that is not valid JSON`, { provider });
  }
}
