/**
 * The Claude models that take one of `temperature` and `top_p`, not both: Opus 4.1, Sonnet and
 * Haiku 4.5 and later ("`temperature` and `top_p` cannot both be specified for this model";
 * open-webui/pipelines#546, BerriAI/litellm#15097, aws-samples/aws-genai-llm-chatbot#696). The
 * Anthropic and Bedrock simulators refuse the pair for them, as both APIs do. Written apart from
 * the product's src/providers/_shared/claude-models.ts, so that the simulators check it.
 */
export const oneSamplerModel = /claude-(?:opus-4-[1-9]|(?:sonnet|haiku)-4-[5-9]|(?:opus|sonnet|haiku)-(?:[5-9]|\d\d))(?!\d)/;
