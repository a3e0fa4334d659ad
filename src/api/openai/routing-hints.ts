import type { RoutingHints } from '../../core/chat-request.ts';
import { shorten } from '../validation.ts';
import type { OpenAIChatRequestBody } from './chat-request-schema.ts';

/**
 * OpenRouter's `models` and `provider` as a body carries them → the typed hints, for every body
 * that takes them (chat completions, embeddings, Anthropic Messages: one schema,
 * chat-request-schema.ts). An empty object when there are none.
 */
export function routingHints(body: Pick<OpenAIChatRequestBody, 'models' | 'provider'>): RoutingHints {
  const hints: RoutingHints = {};
  if (body.models?.length) hints.models = body.models;
  if (body.provider) {
    hints.provider = providerHint(body.provider);
    const ignored = ignoredFields(body.provider);
    if (ignored.length > 0) hints.ignored = ignored;
  }
  return hints;
}

/** The `provider` fields the router acts on (../shared/SPEC.md "Routing hints"). */
const providerFields = new Set(['order', 'only', 'ignore', 'sort', 'allow_fallbacks', 'max_price', 'data_collection']);
const maxPriceFields = new Set(['prompt', 'completion']);

/**
 * The others, as paths: OpenRouter's `require_parameters`, `quantizations`, `zdr`, and the
 * `request` and `image` prices of `max_price`, which Switchboard's catalog has no price for.
 */
function ignoredFields(hint: NonNullable<OpenAIChatRequestBody['provider']>): string[] {
  const ignored = Object.keys(hint).filter((field) => !providerFields.has(field)).map((field) => `provider.${field}`);
  if (hint.max_price) ignored.push(...Object.keys(hint.max_price).filter((field) => !maxPriceFields.has(field)).map((field) => `provider.max_price.${field}`));
  if (ignored.length <= maxIgnoredNamed) return ignored.map(shorten);
  return [...ignored.slice(0, maxIgnoredNamed).map(shorten), `${ignored.length - maxIgnoredNamed} more`];
}

/**
 * Fields the ledger warning names at most, each cut to 120 characters: the names are the
 * caller's keys, and without a bound one body's `provider` of a thousand keys, or one key of a
 * megabyte, became a ledger row of that size on every request (as metadata did before
 * ../metadata-limits.ts).
 */
const maxIgnoredNamed = 16;

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
