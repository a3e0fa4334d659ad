import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { firstIssue } from '../../api/validation.ts';
import { GatewayError } from '../../core/errors.ts';
import type { Caller } from '../../core/caller.ts';
import { callerOf } from '../caller.ts';

const feedbackSchema = z
  .object({
    request_id: z.string({ error: 'request_id is required' }).min(1, 'request_id is required'),
    score: z.number({ error: 'score must be a number in [0, 1]' }).min(0, 'score must be in [0, 1]').max(1, 'score must be in [0, 1]'),
    comment: z.string().max(2000).optional(),
  })
  .strict();

/** Records feedback; implemented by src/feedback/record-feedback.ts. */
export type RecordFeedback = (requestId: string, score: number, caller: Caller) => Promise<{ requestId: string; model: string; provider: string; score: number }>;

/** POST /v1/feedback `{request_id, score}`: quality feedback the adaptive strategy learns from. */
export function registerFeedbackRoutes(app: FastifyInstance, record: RecordFeedback): void {
  app.post('/v1/feedback', { config: { format: 'openai' } }, async (request) => {
    if (typeof request.body !== 'object' || request.body === null) {
      throw new GatewayError('SB_ERR_INVALID_REQUEST', 'The request body must be a JSON object.');
    }
    const parsed = feedbackSchema.safeParse(request.body);
    if (!parsed.success) throw firstIssue(parsed.error);
    const recorded = await record(parsed.data.request_id, parsed.data.score, callerOf(request));
    return { request_id: recorded.requestId, model: recorded.model, provider: recorded.provider, score: recorded.score, recorded: true };
  });
}
