import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claudeVersion, takesOneSampler } from './claude-models.ts';

describe('Claude model ids', () => {
  it('reads the family and version as Anthropic and Bedrock name them', () => {
    assert.deepStrictEqual(claudeVersion('claude-sonnet-4-5-20250929'), { family: 'sonnet', major: 4, minor: 5 });
    assert.deepStrictEqual(claudeVersion('us.anthropic.claude-opus-4-1-20250805-v1:0'), { family: 'opus', major: 4, minor: 1 });
    assert.deepStrictEqual(claudeVersion('claude-sonnet-4-20250514'), { family: 'sonnet', major: 4, minor: 0 }, 'a date is not a minor version');
    assert.deepStrictEqual(claudeVersion('anthropic.claude-3-7-sonnet-20250219-v1:0'), { family: 'sonnet', major: 3, minor: 7 });
    assert.deepStrictEqual(claudeVersion('claude-3-haiku-20240307'), { family: 'haiku', major: 3, minor: 0 });
    assert.equal(claudeVersion('gpt-4o'), undefined);
  });

  it('knows which take temperature or top_p, not both: Opus 4.1, Sonnet and Haiku 4.5 and later', () => {
    const one = ['claude-sonnet-4-5', 'claude-haiku-4-5-20251001', 'claude-opus-4-1', 'eu.anthropic.claude-sonnet-4-6-v1:0', 'claude-opus-4-5-20251101', 'claude-sonnet-5'];
    const both = ['claude-sonnet-4-20250514', 'claude-opus-4-20250514', 'claude-3-7-sonnet-latest', 'anthropic.claude-3-5-haiku-20241022-v1:0', 'claude-sim-sonnet'];
    for (const model of one) assert.equal(takesOneSampler(model), true, model);
    for (const model of both) assert.equal(takesOneSampler(model), false, model);
  });
});
