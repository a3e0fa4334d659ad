import type { RoutingHints } from '../../core/chat-request.ts';
import type { OpenAIChatRequestBody } from './chat-request-schema.ts';

/**
 * OpenRouter's `models` and `provider` as a body carries them → the typed hints, for every body
 * that takes them (chat completions, embeddings, Anthropic Messages: one schema,
 * chat-request-schema.ts). An empty object when there are none.
 */
export function routingHints(body: Pick<OpenAIChatRequestBody, 'models' | 'provider'>): RoutingHints {
  const hints: RoutingHints = {};
  if (body.models?.length) hints.models = body.models;
  if (body.provider) hints.provider = providerHint(body.provider);
  return hints;
}

function providerHint(hint: NonNullable<OpenAIChatRequestBody['provider']>): NonNullable<RoutingHints['provider']> {
  const converted: NonNullable<RoutingHints['provider']> = {};
  if (hint.order != null) converted.order = hint.order;
  if (hint.only != null) converted.only = hint.only;
  if (hint.ignore != null) converted.ignore = hint.ignore;
  if (hint.sort != null) converted.sort = hint.sort;
  if (hint.allow_fallbacks != null) converted.allowFallbacks = hint.allow_fallbacks;
  if (hint.max_price) {
    const maxPrice: NonNullable<typeof converted.maxPrice> = {};
    if (hint.max_price.prompt != null) maxPrice.prompt = hint.max_price.prompt;
    if (hint.max_price.completion != null) maxPrice.completion = hint.max_price.completion;
    converted.maxPrice = maxPrice;
  }
  if (hint.data_collection != null) converted.dataCollection = hint.data_collection;
  return converted;
}
