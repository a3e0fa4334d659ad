import type { CandidateFilter } from '../../core/strategy.ts';

/**
 * Removes route candidates known to lack a capability the request needs (tools, vision,
 * json_schema). A model whose capabilities are unknown is kept (../shared/SPEC.md).
 */
export const capabilitiesFilter: CandidateFilter = {
  name: 'capabilities',
  appliesToDirectModel: false,
  reject(model, context) {
    if (!model.capabilities) return undefined;
    const missing = [...context.request.needs].filter((need) => !model.capabilities!.includes(need));
    return missing.length ? `lacks ${missing.join(', ')}` : undefined;
  },
};
