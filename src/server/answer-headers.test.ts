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
    assert.equal(formatUsd(10), '10');
    assert.equal(formatUsd(100.1), '100.1');
    assert.equal(formatUsd(1e-13), '0');
    assert.equal(formatUsd(2.5e-7), '0.00000025');
    assert.equal(formatUsd(1234.0000000000002), '1234');
    assert.equal(formatUsd(1234.000000000001), '1234.000000000001');
  });
});
