import type { CandidateFilter } from '../../core/strategy.ts';

/**
 * OpenRouter's `provider` object (openrouter.ai/docs, provider routing): `only` and `ignore`
 * name provider ids or types; `max_price` caps USD per million prompt/completion tokens (a model
 * with unknown prices cannot be shown to be under it, so it is removed); `allow_fallbacks: false`
 * with an `order` keeps only the providers it lists ("use only the primary/custom provider": all
 * of them, in that order; an outside probe found every one but the first left out).
 */
export const providerHintsFilter: CandidateFilter = {
  name: 'provider-hints',
  appliesToDirectModel: true,
  reject(model, context) {
    const hint = context.request.hints.provider;
    if (!hint) return undefined;
    const provider = context.provider(model.providerId);
    const names = [model.providerId, provider?.type].filter((name): name is string => Boolean(name));
    if (hint.only?.length && !names.some((name) => hint.only!.includes(name))) return 'not in provider.only';
    if (hint.ignore?.length && names.some((name) => hint.ignore!.includes(name))) return 'in provider.ignore';
    if (hint.allowFallbacks === false && hint.order?.length && !names.some((name) => hint.order!.includes(name))) return 'not in provider.order (provider.allow_fallbacks false)';
    const maxPrice = hint.maxPrice;
    if (maxPrice && (maxPrice.prompt !== undefined || maxPrice.completion !== undefined)) {
      if (!model.pricing) return 'price unknown (provider.max_price set)';
      if (maxPrice.prompt !== undefined && model.pricing.inputPerMtok > maxPrice.prompt) return `prompt price ${model.pricing.inputPerMtok} > max_price ${maxPrice.prompt}`;
      if (maxPrice.completion !== undefined && model.pricing.outputPerMtok > maxPrice.completion) return `completion price ${model.pricing.outputPerMtok} > max_price ${maxPrice.completion}`;
    }
    return undefined;
  },
};
