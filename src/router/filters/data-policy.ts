import type { CandidateFilter } from '../../core/strategy.ts';

/**
 * Keeps data where rules, guardrails and the request's hints require: on-prem providers only
 * (`require: {on_prem: true}`), or providers that do not retain data (`require: {retains_data:
 * false}`, OpenRouter's `provider.data_collection: "deny"`).
 */
export const dataPolicyFilter: CandidateFilter = {
  name: 'data-policy',
  appliesToDirectModel: true,
  reject(model, context) {
    const provider = context.provider(model.providerId);
    if (!provider) return 'provider not configured';
    const { requirements, hints } = context.request;
    if (requirements.onPrem && !provider.onPrem) return 'not on-prem (required)';
    const noRetention = requirements.noRetention || hints.provider?.dataCollection === 'deny';
    if (noRetention && provider.retainsData && !provider.onPrem) return 'provider retains data (not allowed)';
    return undefined;
  },
};
