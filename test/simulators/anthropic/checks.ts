import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { oneSamplerModel } from '../_shared/claude-models.ts';

const addFormats = formats as unknown as (ajv: Ajv) => Ajv;

/**
 * What the Anthropic simulator checks before answering, as the real API does: the headers, then
 * the body against the published schema (anthropic-schemas.json, extracted by
 * scripts/extract-spec-schemas.ts from ../shared/specs/anthropic/openapi.json: CreateMessageParams,
 * CountMessageTokensParams, ErrorResponse), then the tool_use/tool_result pairing the schema
 * cannot express. Messages follow the real API's wording where it is known.
 */

/** A refusal: HTTP status, Anthropic error type and message. */
export interface Refusal {
  status: number;
  type: string;
  message: string;
}

/**
 * API versions the simulator accepts: Anthropic's versioning page lists 2023-06-01 and
 * 2023-01-01; the installed @anthropic-ai/sdk (1.x) sends 2026-10-21 (its CHANGELOG, 1.0.0).
 * Bodies are checked against openapi.json (2026-05-06) whatever the version.
 */
const knownVersions = new Set(['2023-06-01', '2023-01-01', '2026-10-21']);

const schemas = JSON.parse(readFileSync(new URL('./anthropic-schemas.json', import.meta.url), 'utf8')) as {
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};
const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema({ $id: 'anthropic', components: schemas.components });
const validators = new Map<string, ValidateFunction>();

export type Operation = 'CreateMessageParams' | 'CountMessageTokensParams';

/** `x-api-key` (401 otherwise) and `anthropic-version` (400 otherwise). */
export function checkHeaders(headers: IncomingHttpHeaders, apiKey: string): Refusal | undefined {
  const key = headers['x-api-key'];
  if (!key) return { status: 401, type: 'authentication_error', message: 'x-api-key header is required' };
  if (key !== apiKey) return { status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
  const version = headers['anthropic-version'];
  if (!version) return { status: 400, type: 'invalid_request_error', message: 'anthropic-version: header is required' };
  if (typeof version !== 'string' || !knownVersions.has(version)) {
    return { status: 400, type: 'invalid_request_error', message: `anthropic-version: invalid version ${String(version)}` };
  }
  return undefined;
}

/** The body's problems, the most telling first; undefined when it is a valid request. */
export function checkBody(body: unknown, operation: Operation): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Request body must be a JSON object';
  const record = body as Record<string, unknown>;
  const known = schemas.components.schemas[operation]?.properties ?? {};
  const unknown = Object.keys(record).find((key) => !(key in known));
  if (unknown) return `${unknown}: Extra inputs are not permitted`;
  for (const field of operation === 'CreateMessageParams' ? ['model', 'messages', 'max_tokens'] : ['model', 'messages']) {
    if (record[field] === undefined) return `${field}: Field required`;
  }
  if (Array.isArray(record.messages)) {
    const index = record.messages.findIndex((message: { role?: unknown }) => message?.role !== 'user' && message?.role !== 'assistant');
    if (index >= 0) {
      const role = (record.messages[index] as { role?: unknown }).role;
      return role === 'system'
        ? `messages.${index}.role: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`
        : `messages.${index}.role: Input should be 'user' or 'assistant'`;
    }
  }
  if (typeof record.temperature === 'number' && record.temperature > 1) return 'temperature: Input should be less than or equal to 1';
  if (record.temperature !== undefined && record.top_p !== undefined && oneSamplerModel.test(String(record.model))) {
    // Claude Opus 4.1, Sonnet and Haiku 4.5 on (open-webui/pipelines#546, BerriAI/litellm#15097).
    return '`temperature` and `top_p` cannot both be specified for this model. Please use only one.';
  }
  const schemaProblem = validateAgainstSpec(operation, body);
  if (schemaProblem) return schemaProblem;
  return checkThinkingBudget(record) ?? checkNonEmptyContent(record.messages as Message[]) ?? checkToolPairing(record.messages as Message[]);
}

/** openapi.json `ThinkingConfigEnabled.budget_tokens`: "Must be ≥1024 and less than `max_tokens`" (the schema has the first half only). */
function checkThinkingBudget(record: Record<string, unknown>): string | undefined {
  const thinking = record.thinking as { type?: string; budget_tokens?: number } | undefined;
  if (thinking?.type !== 'enabled' || typeof record.max_tokens !== 'number' || (thinking.budget_tokens ?? 0) < record.max_tokens) return undefined;
  return '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
}

/**
 * A string content "is shorthand for an array of one content block of type \"text\"" (openapi.json
 * `CreateMessageParams.messages`), whose text has `minLength: 1` (`RequestTextBlock`): an empty
 * message is refused, but for a final assistant one (a prefill the answer continues from).
 */
function checkNonEmptyContent(messages: Message[]): string | undefined {
  const index = messages.findIndex((message, at) => message.content.length === 0 && !(message.role === 'assistant' && at === messages.length - 1));
  return index < 0 ? undefined : `messages.${index}: all messages must have non-empty content except for the optional final assistant message`;
}

function validateAgainstSpec(operation: Operation, body: unknown): string | undefined {
  const validate = validators.get(operation) ?? ajv.compile({ $ref: `anthropic#/components/schemas/${operation}` });
  validators.set(operation, validate);
  if (validate(body)) return undefined;
  // With oneOf unions ajv reports every branch; the deepest path is the one that names the fault.
  const errors = [...(validate.errors ?? [])].sort((left, right) => depth(right) - depth(left));
  const first = errors[0];
  return first ? `${first.instancePath.slice(1).replaceAll('/', '.') || '(body)'}: ${first.message ?? 'is invalid'}` : 'invalid request body';
}

function depth(error: ErrorObject): number {
  return error.instancePath.split('/').length;
}

interface Block {
  type?: string;
  id?: string;
  tool_use_id?: string;
}

interface Message {
  role: 'user' | 'assistant';
  content: string | Block[];
}

/**
 * Anthropic's pairing rules (tool use docs, "Handling tool use and tool result content
 * blocks"): every tool_result answers a tool_use of the previous assistant turn, every
 * tool_use of an assistant turn is answered in the next user turn, and tool_result blocks come
 * first in that turn. Consecutive messages of one role count as one turn, as the API merges
 * them (openapi.json CreateMessageParams.messages).
 */
function checkToolPairing(messages: Message[]): string | undefined {
  const turns: Array<{ role: string; index: number; blocks: Block[] }> = [];
  messages.forEach((message, index) => {
    const blocks = typeof message.content === 'string' ? [{ type: 'text' }] : message.content;
    const last = turns.at(-1);
    if (last?.role === message.role) last.blocks.push(...blocks);
    else turns.push({ role: message.role, index, blocks: [...blocks] });
  });
  for (const [position, turn] of turns.entries()) {
    const previous = turns[position - 1];
    const offered = new Set(previous?.role === 'assistant' ? previous.blocks.flatMap((block) => (block.type === 'tool_use' && block.id ? [block.id] : [])) : []);
    const answered = new Set<string>();
    let sawOther = false;
    for (const [blockIndex, block] of turn.blocks.entries()) {
      if (block.type !== 'tool_result') {
        sawOther = true;
        continue;
      }
      if (!offered.has(block.tool_use_id ?? '')) {
        return `messages.${turn.index}.content.${blockIndex}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
      if (sawOther) return `messages.${turn.index}: \`tool_result\` blocks must come first in the content, before any other block.`;
      answered.add(block.tool_use_id!);
    }
    const unanswered = [...offered].filter((id) => !answered.has(id));
    if (turn.role === 'user' && unanswered.length > 0) {
      return `messages.${previous!.index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}
