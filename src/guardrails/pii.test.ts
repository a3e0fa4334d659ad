import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ibanValid, luhnValid } from './checksums.ts';
import { findPii, piiEntities, redactFindings, type PiiEntity } from './pii.ts';

const all = new Set<PiiEntity>(piiEntities);
const found = (text: string) => findPii(text, all).map((finding) => [finding.entity, text.slice(finding.start, finding.end)]);

describe('PII detection', () => {
  const positives: Array<[string, PiiEntity, string]> = [
    ['write to john.doe+news@example.co.uk today', 'email', 'john.doe+news@example.co.uk'],
    ['ANA@EXAMPLE.ORG', 'email', 'ANA@EXAMPLE.ORG'],
    ['call +1 415 555 2671', 'phone', '+1 415 555 2671'],
    ['call +44 20 7946 0958 now', 'phone', '+44 20 7946 0958'],
    ['call (415) 555-2671', 'phone', '(415) 555-2671'],
    ['call 415.555.2671', 'phone', '415.555.2671'],
    ['visa 4111 1111 1111 1111', 'card_number', '4111 1111 1111 1111'],
    ['mc 5500-0055-5555-5559', 'card_number', '5500-0055-5555-5559'],
    ['amex 378282246310005', 'card_number', '378282246310005'],
    ['iban DE89 3704 0044 0532 0130 00', 'iban', 'DE89 3704 0044 0532 0130 00'],
    ['iban GB82WEST12345698765432.', 'iban', 'GB82WEST12345698765432'],
    ['iban FR1420041010050500013M02606', 'iban', 'FR1420041010050500013M02606'],
    ['ssn 078-05-1120', 'national_id', '078-05-1120'],
    ['ssn 123 45 6789', 'national_id', '123 45 6789'],
    ['key sk-proj-abcdefghijklmnopqrstuvwxyz0123', 'api_key', 'sk-proj-abcdefghijklmnopqrstuvwxyz0123'],
    ['key sk-ant-api03-abcdefghijklmnopqrstuv', 'api_key', 'sk-ant-api03-abcdefghijklmnopqrstuv'],
    ['aws AKIAIOSFODNN7EXAMPLE', 'api_key', 'AKIAIOSFODNN7EXAMPLE'],
    ['gh ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'api_key', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['-----BEGIN RSA PRIVATE KEY-----', 'api_key', '-----BEGIN RSA PRIVATE KEY-----'],
    // Outside probes: a lower-case IBAN and an encrypted PKCS#8 key header were missed.
    ['my iban is gb82 west 1234 5698 7654 32', 'iban', 'gb82 west 1234 5698 7654 32'],
    ['-----BEGIN ENCRYPTED PRIVATE KEY-----', 'api_key', '-----BEGIN ENCRYPTED PRIVATE KEY-----'],
  ];
  for (const [text, entity, match] of positives) {
    it(`finds ${entity} in "${text}"`, () => assert.deepEqual(found(text), [[entity, match]]));
  }

  const negatives = [
    'user@localhost and foo@bar',
    'card 4111 1111 1111 1112 (Luhn fails)',
    'all zeros 0000 0000 0000 0000',
    'order number 1234567890123',
    'IBAN DE89 3704 0044 0532 0130 01 (checksum fails)',
    'XX89370400440532013000 (unknown country)',
    'ssn 000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567, 123-45-0000',
    'date 2024-01-15 and time 12:30:45',
    'version 1.2.3.4 and ip 192.168.1.1',
    'plain digits 12345678 and 555-1234',
    'a price of $1,234,567.89',
    'sk-short and AKIA123',
    'mixed 123-45-6789-0',
    // Pass the Luhn check but start as no card network's numbers do: millisecond timestamps and
    // ids (an outside probe found a tenth of such timestamps redacted as cards).
    'created 16990000001234 and 1700000000024 ms',
    'order 1000000000000009',
  ];
  for (const text of negatives) {
    it(`finds nothing in "${text}"`, () => assert.deepEqual(found(text), []));
  }

  it('reports each occurrence once even where detectors overlap, in text order', () => {
    assert.deepEqual(found('a@b.io then 4111111111111111 then a@b.io'), [
      ['email', 'a@b.io'],
      ['card_number', '4111111111111111'],
      ['email', 'a@b.io'],
    ]);
  });

  it('looks only for the kinds asked for', () => {
    assert.deepEqual(findPii('a@b.io 4111111111111111', new Set<PiiEntity>(['card_number'])).map((finding) => finding.entity), ['card_number']);
  });

  it('redacts by kind and keeps the rest of the text', () => {
    const text = 'mail a@b.io, card 4111 1111 1111 1111.';
    assert.equal(redactFindings(text, findPii(text, all)), 'mail [REDACTED_EMAIL], card [REDACTED_CARD_NUMBER].');
  });
});

describe('check digits', () => {
  it('Luhn', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('79927398710'), false);
    assert.equal(luhnValid('4111-1111'), false);
  });
  it('IBAN mod 97 and country length', () => {
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(ibanValid('gb82 west 1234 5698 7654 32'), true);
    assert.equal(ibanValid('NO9386011117947'), true);
    assert.equal(ibanValid('DE89370400440532013001'), false);
    assert.equal(ibanValid('DE8937040044053201300'), false, 'one character short for Germany');
  });
});
