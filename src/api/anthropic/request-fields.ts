import { createFieldPolicy, displayFieldName, type FieldPolicy } from '../field-names.ts';

/**
 * Top-level fields of /v1/messages and /v1/messages/count_tokens. Anthropic's request schemas are
 * closed (../shared/specs/anthropic/openapi.json CreateMessageParams: additionalProperties false;
 * the API answers "Extra inputs are not permitted"), so any other field is refused here, before a
 * provider is called, rather than relayed to Anthropic to be refused there, or dropped on the way
 * to another provider. The list is CreateMessageParams and BetaCreateMessageParams of the spec,
 * the fields @anthropic-ai/sdk 1.x sends (MessageCreateParamsBase in
 * resources/messages/messages.d.ts and its beta twin), and Switchboard's routing hints.
 */
export const messagesFieldPolicy: FieldPolicy = createFieldPolicy(
  [
    'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream', 'temperature', 'top_k', 'top_p',
    'tools', 'tool_choice', 'thinking', 'output_config', 'cache_control', 'container', 'inference_geo', 'service_tier',
    'context_management', 'mcp_servers', 'output_format', 'speed', 'user_profile_id', 'workspace_id', 'diagnostics',
    'billing_policy', 'compaction', 'fallback_credit_token', 'fallbacks', 'thread', 'betas',
    'models', 'provider',
  ],
  false,
  (name, suggestion) => {
    return `${displayFieldName(name)}: Extra inputs are not permitted${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`;
  },
);
