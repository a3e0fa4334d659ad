/**
 * What a Claude model id says of the model, for the adapters that serve Claude (Anthropic's API,
 * Bedrock): ids as Anthropic names them (`claude-sonnet-4-5-20250929`, `claude-opus-4-1`,
 * `claude-3-7-sonnet-latest`) and as Bedrock does (`us.anthropic.claude-haiku-4-5-20251001-v1:0`,
 * an ARN ending in one).
 */

/** `claude-<family>-<major>[-<minor>]` (Claude 4 on), the minor one or two digits (a date is not one). */
const familyFirst = /claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=[-:@.]|$)/;
/** `claude-<major>[-<minor>]-<family>` (Claude 3). */
const versionFirst = /claude-(\d+)(?:-(\d{1,2}))?-(opus|sonnet|haiku)/;

/** The family and version a Claude model id names, when it names them. */
export function claudeVersion(model: string): { family: 'opus' | 'sonnet' | 'haiku'; major: number; minor: number } | undefined {
  const named = familyFirst.exec(model);
  if (named) return { family: named[1] as 'opus' | 'sonnet' | 'haiku', major: Number(named[2]), minor: named[3] === undefined ? 0 : Number(named[3]) };
  const old = versionFirst.exec(model);
  if (old) return { family: old[3] as 'opus' | 'sonnet' | 'haiku', major: Number(old[1]), minor: old[2] === undefined ? 0 : Number(old[2]) };
  return undefined;
}

/** Whether `version` is `major.minor` or later. */
export function atLeast(version: { major: number; minor: number } | undefined, major: number, minor: number): boolean {
  return version !== undefined && (version.major > major || (version.major === major && version.minor >= minor));
}

/**
 * Claude Opus 4.1, Sonnet and Haiku 4.5 and later take `temperature` or `top_p`, not both: "`temperature`
 * and `top_p` cannot both be specified for this model. Please use only one." (a 400 from
 * Anthropic's API and from Bedrock, whose Claude request reference warns of it for Sonnet and
 * Haiku 4.5; reported against Opus 4.1 and Sonnet 4.6 too: open-webui/pipelines#546,
 * BerriAI/litellm#15097, aws-samples/aws-genai-llm-chatbot#696).
 */
export function takesOneSampler(model: string): boolean {
  const version = claudeVersion(model);
  if (version === undefined) return false;
  return version.family === 'opus' ? atLeast(version, 4, 1) : atLeast(version, 4, 5);
}

/** The warning when `top_p` is left out for such a model, `temperature` sent. */
export function topPLeftOut(model: string): { type: 'unsupported-setting'; setting: string; message: string } {
  return {
    type: 'unsupported-setting',
    setting: 'top_p',
    message: `${model} takes temperature or top_p, not both (its provider answers 400 to both); temperature was sent, top_p was not`,
  };
}
