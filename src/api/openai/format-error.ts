import type { GatewayError } from '../../core/errors.ts';
import { callerMessage, formatParam } from '../validation.ts';

/** OpenAI's `code` for each error, where the table's code has an OpenAI equivalent. */
const openAICodes: Partial<Record<GatewayError['code'], string>> = {
  SB_ERR_UNAUTHORIZED: 'invalid_api_key',
  SB_ERR_MODEL_FORBIDDEN: 'model_not_allowed',
  SB_ERR_MODEL_NOT_FOUND: 'model_not_found',
  SB_ERR_NOT_FOUND: 'not_found',
  SB_ERR_METHOD_NOT_ALLOWED: 'method_not_allowed',
  SB_ERR_BODY_TOO_LARGE: 'request_too_large',
  SB_ERR_RATE_LIMITED: 'rate_limit_exceeded',
  SB_ERR_BUDGET_EXCEEDED: 'budget_exceeded',
  SB_ERR_UPSTREAM_RATE_LIMITED: 'rate_limit_exceeded',
  SB_ERR_CONTEXT_LENGTH: 'context_length_exceeded',
  SB_ERR_UPSTREAM_TIMEOUT: 'timeout',
};

/** GatewayError → OpenAI's error body `{"error": {"message", "type", "param", "code"}}`. */
export function formatOpenAIError(error: GatewayError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return {
    error: {
      message: callerMessage(error),
      type: error.type,
      param: error.param === undefined ? null : formatParam([error.param]),
      code: error.publicCode ?? openAICodes[error.code] ?? error.code.replace(/^SB_ERR_/, '').toLowerCase(),
    },
  };
}
