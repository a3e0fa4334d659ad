import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, it } from 'node:test';
import { formatUsd, headerValue } from './answer-headers.ts';

describe('headerValue', () => {
  it('leaves printable ASCII as it is', () => {
    assert.equal(headerValue('oai/gpt-4o-mini'), 'oai/gpt-4o-mini');
  });

  it('percent-encodes anything Node would refuse or mangle, so setting the header never throws', () => {
    for (const text of ['m\r\nx: 1', 'm\u0000x', 'модель', 'mé', '\u2028']) {
      const value = headerValue(text);
      assert.doesNotThrow(() => validateHeaderValue('x-switchboard-model', value), text);
      assert.equal(decodeURIComponent(value), text);
    }
  });
});

describe('formatUsd', () => {
  it('writes plain decimals without trailing zeros', () => {
    assert.equal(formatUsd(0.000015), '0.000015');
    assert.equal(formatUsd(0), '0');
  });
});
