import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';

/**
 * Groq's OpenAI-compatible API (console.groq.com/docs/openai); it has no embeddings endpoint.
 * It refuses `reasoning_content` in assistant messages ("property 'reasoning_content' is
 * unsupported", e.g. janhq/jan#8136), so that is left out of a relayed history.
 */
export const groqProvider: ProviderDefinition = {
  create: (settings, dependencies) =>
    createOpenAICompatibleAdapter(settings, dependencies, { ...openAIFlavor, embeddings: false, reasoningInHistory: 'drop', checkBody: checkGroqBody }),
  defaultBaseUrl: 'https://api.groq.com/openai/v1',
  environmentKey: 'GROQ_API_KEY',
  catalogType: 'groq',
  requiresApiKey: true,
};

/**
 * console.groq.com/docs/openai, "Currently Unsupported OpenAI Features": `logprobs`,
 * `logit_bias`, `top_logprobs` and `messages[].name` "will result in a 400 error if they are
 * supplied", and `n` "must be equal to 1". Those the answer depends on (more choices, log
 * probabilities, a token bias) are our 400 before the call, as Anthropic's adapter does for `n`
 * and `logprobs`; a participant name or `logprobs: false` is left out, with a warning.
 */
export function checkGroqBody(body: Record<string, unknown>, warnings: Warning[]): Record<string, unknown> {
  const refuse = (param: string, message: string) => new GatewayError('SB_ERR_INVALID_REQUEST', `${message} is not supported by this model's provider (Groq).`, { param });
  if (typeof body.n === 'number' && body.n > 1) throw refuse('n', `Groq answers with one choice only; n=${body.n}`);
  if (body.logprobs === true) throw refuse('logprobs', 'Groq does not return log probabilities; logprobs');
  if (body.top_logprobs !== undefined && body.top_logprobs !== null) throw refuse('top_logprobs', 'Groq does not return log probabilities; top_logprobs');
  const bias = body.logit_bias;
  if (typeof bias === 'object' && bias !== null && Object.keys(bias).length > 0) throw refuse('logit_bias', 'logit_bias');

  const leftOut: Record<string, string> = {};
  if ('logprobs' in body) leftOut.logprobs = 'Groq refuses the logprobs field; logprobs: false was left out';
  if ('top_logprobs' in body) leftOut.top_logprobs = 'Groq refuses the top_logprobs field; top_logprobs: null was left out';
  if ('logit_bias' in body) leftOut.logit_bias = 'Groq refuses the logit_bias field; an empty logit_bias was left out';
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const named = messages.some((message) => typeof message === 'object' && message !== null && 'name' in message);
  if (named) leftOut['messages[].name'] = 'Groq refuses a name on messages; the participant names were left out';
  if (Object.keys(leftOut).length === 0) return body;

  const checked: Record<string, unknown> = { ...body };
  delete checked.logprobs;
  delete checked.top_logprobs;
  delete checked.logit_bias;
  if (named) {
    checked.messages = messages.map((message) => {
      if (typeof message !== 'object' || message === null || !('name' in message)) return message;
      const { name: _name, ...rest } = message as Record<string, unknown>;
      return rest;
    });
  }
  for (const [setting, message] of Object.entries(leftOut)) warnings.push({ type: 'dropped-setting', setting, message });
  return checked;
}
