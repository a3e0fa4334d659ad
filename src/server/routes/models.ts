import type { FastifyInstance, FastifyRequest } from 'fastify';
import { shorten } from '../../api/validation.ts';
import { modelNotFound } from '../../core/errors.ts';
import { hasBudget } from '../../core/governance.ts';
import type { GatewayContext } from '../context.ts';

/**
 * GET /v1/models: every name the caller may use, in OpenAI's list shape: configured model ids
 * and route ids first, then the `<provider id>/<upstream model>` address of each catalog model
 * of each provider (the ids OpenRouter lists, and LiteLLM for a `provider/*` deployment).
 */
export function registerModelRoutes(app: FastifyInstance, context: GatewayContext, startedAt: number): void {
  const created = Math.floor(startedAt / 1000);
  // Listing is authenticated like the API (config.format), but is not billable: no ledger row.
  // Only what the caller's key may use (its and its team's `models` globs). A listed route can be
  // called: a key allowed a route may use the route's own models through it (allowed-models.ts).
  const visible = (request: FastifyRequest) => {
    const allows = request.identity?.allowsModel;
    // A key or team with a budget may not use a model without a known price (its cost would be
    // recorded as $0): listing one offered what answers 403 model_price_unknown (an outside probe).
    const budgeted = hasBudget(request.identity?.governance);
    const seen = new Set<string>();
    // A model id may also be an address (a `models` entry with the id `oai/gpt-4o`): listed once, first.
    return context.listModels().filter((model) => {
      if (seen.has(model.id)) return false;
      seen.add(model.id);
      if (budgeted && model.unpriced) return false;
      return allows === undefined || allows(model.id);
    });
  };
  app.get('/v1/models', { config: { format: 'openai' } }, async (request) => ({
    object: 'list',
    data: visible(request).map((model) => ({ id: model.id, object: 'model', created, owned_by: model.ownedBy })),
  }));
  app.get('/v1/models/*', { config: { format: 'openai' } }, async (request) => {
    const id = (request.params as { '*': string })['*'];
    const model = visible(request).find((candidate) => candidate.id === id);
    if (!model) {
      throw modelNotFound(shorten(id));
    }
    return { id: model.id, object: 'model', created, owned_by: model.ownedBy };
  });
}
