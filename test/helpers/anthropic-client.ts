import Anthropic from '@anthropic-ai/sdk';

/**
 * The official @anthropic-ai/sdk pointed at a gateway. The SDK appends /v1/messages to its baseURL,
 * so it takes the bare origin (as with api.anthropic.com); retries are off so that every call is
 * exactly one request.
 */
export function anthropicClient(gateway: { origin: string }, apiKey: string): Anthropic {
  return new Anthropic({ baseURL: gateway.origin, apiKey, maxRetries: 0 });
}

/**
 * The Anthropic-ingress conversation that providers with extended thinking are tested with: a
 * weather question asked with thinking on and a get_weather tool offered, then the tool's result
 * sent back after the assistant turn exactly as it came, thinking blocks and signatures included,
 * because providers refuse a tool result whose call lost its signature.
 */
export function thinkingWeatherConversation(anthropic: Anthropic, model: string) {
  const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }];
  const question = { role: 'user' as const, content: 'weather in Oslo?' };
  const send = (messages: Anthropic.MessageParam[]) => anthropic.messages.create({ model, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools, messages });
  return {
    /** Asks the question: the answer should be thinking, then a get_weather call. */
    ask: () => send([question]),
    /** Sends back the assistant turn `first` and the result of its tool call `toolUseId`. */
    answer: (first: Anthropic.Message, toolUseId: string, result: string) =>
      send([question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content: result }] }]),
  };
}
