import { createFieldPolicy, displayFieldName, type FieldPolicy } from '../field-names.ts';

/**
 * Top-level fields of OpenAI-style requests (docs/decisions/0009-request-field-policy.md). Other
 * well-formed names still pass through to OpenAI-style providers, whose servers take extension
 * fields; a near miss of one of these names is refused as a typo.
 */

/** CreateChatCompletionRequest, with its allOf parts (../shared/specs/openai/openapi.yaml). */
const openAIChatFields = [
  'messages', 'model', 'metadata', 'top_logprobs', 'temperature', 'top_p', 'user', 'safety_identifier', 'prompt_cache_key',
  'prompt_cache_retention', 'prompt_cache_options', 'service_tier', 'modalities', 'verbosity', 'reasoning_effort',
  'max_completion_tokens', 'frequency_penalty', 'presence_penalty', 'web_search_options', 'response_format', 'audio', 'store',
  'moderation', 'stream', 'stop', 'logit_bias', 'logprobs', 'max_tokens', 'n', 'prediction', 'seed', 'stream_options', 'tools',
  'tool_choice', 'parallel_tool_calls', 'function_call', 'functions',
];

/** Switchboard's routing hints (../shared/SPEC.md "Routing hints"): read here, never forwarded. */
const routingHintFields = ['models', 'provider'];

/**
 * Extension fields of OpenAI-compatible servers, from their API references: vLLM ("Extra
 * Parameters" of the OpenAI-compatible server), OpenRouter (request parameters), Groq, Mistral,
 * Together, Fireworks, DeepSeek, Ollama, Perplexity, xAI and Azure OpenAI. Listed so that none of
 * them is ever taken for a typo of a standard field (`min_p` is one edit from `top_p`).
 */
const extensionChatFields = [
  // vLLM sampling and decoding
  'top_k', 'min_p', 'repetition_penalty', 'length_penalty', 'best_of', 'use_beam_search', 'stop_token_ids', 'include_stop_str_in_output',
  'ignore_eos', 'min_tokens', 'skip_special_tokens', 'spaces_between_special_tokens', 'truncate_prompt_tokens', 'prompt_logprobs',
  'allowed_token_ids', 'bad_words', 'echo', 'add_generation_prompt', 'continue_final_message', 'add_special_tokens', 'documents',
  'chat_template', 'chat_template_kwargs', 'mm_processor_kwargs', 'guided_json', 'guided_regex', 'guided_choice', 'guided_grammar',
  'guided_decoding_backend', 'guided_whitespace_pattern', 'structural_tag', 'structured_outputs', 'priority', 'request_id',
  'logits_processors', 'return_tokens_as_token_ids', 'cache_salt', 'kv_transfer_params', 'vllm_xargs', 'enable_thinking',
  // OpenRouter
  'transforms', 'route', 'reasoning', 'usage', 'plugins', 'prompt', 'debug', 'top_a',
  // Groq, Mistral, Together, Fireworks, DeepSeek
  'reasoning_format', 'include_reasoning', 'search_settings', 'citation_options', 'safe_prompt', 'random_seed', 'prompt_mode',
  'context_length_exceeded_behavior', 'safety_model', 'mirostat_lr', 'mirostat_target', 'raw_output', 'perf_metrics_in_response', 'thinking',
  // Ollama, Perplexity, xAI, Azure OpenAI
  'think', 'keep_alive', 'options', 'format', 'search_domain_filter', 'search_recency_filter', 'return_images',
  'return_related_questions', 'search_mode', 'search_parameters', 'deferred', 'data_sources', 'user_security_context',
];

/** Top-level fields of /v1/chat/completions and /v1/route/explain. */
export const chatFieldPolicy: FieldPolicy = createFieldPolicy(
  [...openAIChatFields, ...routingHintFields, ...extensionChatFields],
  true,
  openAIWording,
);

/**
 * CreateEmbeddingRequest, Switchboard's `metadata` and `input_type` (Cohere's, docs/providers.md),
 * and embedding extensions of OpenAI-compatible servers (vLLM, Voyage, Jina, Mistral, Together).
 */
export const embeddingFieldPolicy: FieldPolicy = createFieldPolicy(
  [
    'input', 'model', 'encoding_format', 'dimensions', 'user', 'metadata', 'input_type', 'models', 'provider',
    'truncate_prompt_tokens', 'add_special_tokens', 'priority', 'request_id', 'task', 'late_chunking', 'truncation', 'truncate',
    'output_dimension', 'output_dtype', 'embedding_types', 'normalized', 'embedding_type', 'options', 'keep_alive',
  ],
  true,
  openAIWording,
);

/** OpenAI's own wording for an unknown field (its 400 "Unrecognized request argument supplied"). */
function openAIWording(name: string, suggestion: string | undefined): string {
  const shown = displayFieldName(name);
  return `Unrecognized request argument supplied: ${shown}.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`;
}
