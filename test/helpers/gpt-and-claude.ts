import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from './gateway.ts';

/** A gateway with one OpenAI model (`gpt`) and one Anthropic model (`claude`) on strict simulators. */
export interface GptAndClaude {
  gateway: TestGateway;
  openai: OpenAISimulator;
  anthropic: AnthropicSimulator;
  close(): Promise<void>;
}

/**
 * The gateway of the tests that send one body to both formats' providers, through either
 * ingress (translation fidelity, the Anthropic SDK's message threads): `gpt` is gpt-4o-mini on the
 * OpenAI simulator, `claude` a Claude model on the Anthropic one, each at its real prices.
 */
export async function startGptAndClaude(masterKey: string): Promise<GptAndClaude> {
  const openai = await new OpenAISimulator().start();
  const anthropic = await new AnthropicSimulator().start();
  const gateway = await startGateway({
    server: { master_key: masterKey },
    providers: [
      { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
      { id: 'ant', type: 'anthropic', base_url: anthropic.url, api_key: anthropic.apiKey },
    ],
    models: [
      { id: 'gpt', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
      { id: 'claude', provider: 'ant', upstream: 'claude-sim-1', pricing: { input_per_mtok: 3, output_per_mtok: 15 } },
    ],
  });
  return { gateway, openai, anthropic, close: () => closeAll(gateway, openai, anthropic) };
}
