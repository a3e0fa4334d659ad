import type { ChatRequest } from '../../src/core/chat-request.ts';

/** A streamed chat request of one user turn ("Say hello."), as the resume stream's tests send it. */
export const streamedHello = {
  model: 'chat',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }],
  stream: true,
  includeUsage: true,
  metadata: {},
  hints: {},
} as unknown as ChatRequest;
