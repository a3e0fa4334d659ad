import type { ModelInfo } from '../core/model.ts';

/** The key routing state is kept under: one provider's one model, whatever ids point at it. */
export function deploymentKey(model: Pick<ModelInfo, 'providerId' | 'upstream'>): string {
  return `${model.providerId}/${model.upstream}`;
}
