import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import type { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import type { OpenAISimulator } from '../simulators/openai/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { startGptAndClaude } from '../helpers/gpt-and-claude.ts';
import { openaiClient } from '../helpers/openai-client.ts';

/**
 * An outside review of the translation between OpenAI Chat Completions and Anthropic Messages,
 * both ways, with the official SDKs against the strict simulators: settings that were accepted,
 * then left out on the way to the other format without a trace on the ledger row.
 */
const masterKey = 'sb-master-translation-fidelity';

describe('OpenAI ↔ Anthropic translation fidelity (outside review)', () => {
  let openai: OpenAISimulator;
  let anthropic: AnthropicSimulator;
  let gateway: TestGateway;
  let close: () => Promise<void>;
  let anthropicSdk: Anthropic;
  let openaiSdk: OpenAI;

  before(async () => {
    ({ gateway, openai, anthropic, close } = await startGptAndClaude(masterKey));
    anthropicSdk = anthropicClient(gateway, masterKey);
    openaiSdk = openaiClient(gateway, masterKey);
  });

  after(() => close());

  describe('Anthropic ingress → OpenAI provider', () => {
    it("sends output_config.effort as reasoning_effort (every EffortLevel is one of OpenAI's ReasoningEffort values)", async () => {
      const { response } = await anthropicSdk.messages
        .create({ model: 'gpt', max_tokens: 50, output_config: { effort: 'high' }, messages: [{ role: 'user', content: 'Think hard.' }] })
        .withResponse();
      assert.equal(openai.chatCalls().at(-1)!.body!.reasoning_effort, 'high');
      const row = (await gateway.ledgerRow(response))!;
      assert.deepStrictEqual(row.warnings, []);
    });

    it('reports adaptive thinking, tool input_examples and document citations as not sent, and sends a document title as the file name', async () => {
      const { response } = await anthropicSdk.messages
        .create({
          model: 'gpt',
          max_tokens: 50,
          thinking: { type: 'adaptive' },
          tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } }, input_examples: [{ q: 'weather in Oslo' }] }],
          tool_choice: { type: 'none' },
          messages: [
            {
              role: 'user',
              content: [
                { type: 'document', title: 'report.pdf', citations: { enabled: true }, source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQ=' } },
                { type: 'text', text: 'Summarise.' },
              ],
            },
          ],
        } as Anthropic.MessageCreateParamsNonStreaming)
        .withResponse();
      const upstream = openai.chatCalls().at(-1)!.body!;
      const parts = (upstream.messages as Array<{ content: unknown }>)[0]!.content as Array<Record<string, unknown>>;
      assert.deepStrictEqual(parts[0], { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQ=', filename: 'report.pdf' } });
      const row = (await gateway.ledgerRow(response))!;
      assert.deepStrictEqual(row.warnings.map((warning) => warning.setting).sort(), ['document.citations', 'thinking', 'tools.input_examples']);
    });

    it('reports that a prefill (a final assistant turn) is not continued', async () => {
      const { response } = await anthropicSdk.messages
        .create({ model: 'gpt', max_tokens: 50, messages: [{ role: 'user', content: 'Give me JSON.' }, { role: 'assistant', content: '{"answer":' }] })
        .withResponse();
      assert.deepStrictEqual((openai.chatCalls().at(-1)!.body!.messages as unknown[]).at(-1), { role: 'assistant', content: '{"answer":' });
      const row = (await gateway.ledgerRow(response))!;
      assert.deepStrictEqual(row.warnings.map((warning) => [warning.type, warning.setting]), [['other', 'messages[1]']]);
    });
  });

  describe('OpenAI ingress → Anthropic provider', () => {
    it("sends safety_identifier as metadata.user_id, with no warning", async () => {
      const { response } = await openaiSdk.chat.completions
        .create({ model: 'claude', safety_identifier: 'hash-of-user-7', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      assert.deepStrictEqual(anthropic.messageCalls().at(-1)!.body!.metadata, { user_id: 'hash-of-user-7' });
      const row = (await gateway.ledgerRow(response))!;
      assert.deepStrictEqual(row.warnings, []);
    });

    it("reports a system message's name as not sent (Anthropic's system prompt has no name)", async () => {
      const { response } = await openaiSdk.chat.completions
        .create({ model: 'claude', messages: [{ role: 'system', name: 'policy', content: 'Be brief.' }, { role: 'user', content: 'hi' }] })
        .withResponse();
      assert.equal(anthropic.messageCalls().at(-1)!.body!.system, 'Be brief.');
      const row = (await gateway.ledgerRow(response))!;
      assert.deepStrictEqual(row.warnings.map((warning) => [warning.type, warning.setting]), [['dropped-setting', 'messages[0].name']]);
    });

    it('sends an earlier assistant refusal as the text it was', async () => {
      await openaiSdk.chat.completions.create({
        model: 'claude',
        messages: [
          { role: 'user', content: 'How do I pick a lock?' },
          { role: 'assistant', content: null, refusal: "I can't help with that." },
          { role: 'user', content: 'Then tell me a joke.' },
        ],
      });
      assert.deepStrictEqual(anthropic.messageCalls().at(-1)!.body!.messages, [
        { role: 'user', content: 'How do I pick a lock?' },
        { role: 'assistant', content: "I can't help with that." },
        { role: 'user', content: 'Then tell me a joke.' },
      ]);
    });
  });
});
