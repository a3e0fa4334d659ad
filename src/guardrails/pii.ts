import { piiEntityNames } from '../config/schema.ts';
import { ibanValid, luhnValid } from './checksums.ts';

/** Kinds of personal or secret data the PII guardrail finds (the config lists the same names). */
export const piiEntities = piiEntityNames;
export type PiiEntity = (typeof piiEntities)[number];

/** One occurrence, by position (the text itself is never kept or logged). */
export interface PiiFinding {
  entity: PiiEntity;
  start: number;
  end: number;
}

interface Detector {
  entity: PiiEntity;
  pattern: RegExp;
  /** Rejects matches that only look right (checksums, impossible values). */
  accept?(match: string): boolean;
}

/** The first digits of the card networks' numbers (see the card_number detector). */
const cardIssuer = /^[2-6]/;

/**
 * Detectors, most specific first: where two overlap the earlier wins, so an API key is not also
 * reported as a phone number. Patterns are compiled once here, never per request.
 */
const detectors: readonly Detector[] = [
  {
    entity: 'api_key',
    // OpenAI/Anthropic (sk-, sk-proj-, sk-ant-), AWS access key ids, GitHub, Slack, Google, Stripe, Switchboard, PEM private keys.
    pattern:
      /(?<![A-Za-z0-9])(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|(?:sk|rk)_live_[0-9A-Za-z]{20,}|sb-[A-Za-z0-9_-]{40,}|-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY-----)/g,
  },
  {
    entity: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])/g,
  },
  {
    entity: 'iban',
    // Either case ("my iban is de89 3704 …" was missed); the country, length and mod-97 check hold it to real IBANs.
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/gi,
    accept: ibanValid,
  },
  {
    entity: 'card_number',
    // 13 to 19 digits, optionally grouped by spaces or dashes, that pass the Luhn check and start
    // as the card networks' numbers do (ISO/IEC 7812 major industry identifiers 2 to 6: Mastercard 2
    // and 5, Amex, Diners and JCB 3, Visa 4, Maestro 5 and 6, Discover and UnionPay 6). The Luhn check
    // alone passes one digit run in ten: a tenth of millisecond timestamps (13 digits from 1…)
    // were redacted as cards.
    pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    accept: (match) => {
      const digits = match.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && cardIssuer.test(digits) && !/^(\d)\1+$/.test(digits) && luhnValid(digits);
    },
  },
  {
    entity: 'national_id',
    // US Social Security numbers as written (AAA-GG-SSSS); area 000, 666 and 9xx, group 00 and serial 0000 are never issued.
    pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g,
  },
  {
    entity: 'phone',
    // International (+ and 8 to 15 digits) or North American with separators; bare digit runs are not phones.
    pattern: /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4})(?![\w])/g,
    accept: (match) => {
      const digits = match.replace(/\D/g, '').length;
      return digits >= 8 && digits <= 15;
    },
  },
];

/** Finds the given kinds of data in a text, without overlaps, in text order. */
export function findPii(text: string, entities: ReadonlySet<PiiEntity>): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const detector of detectors) {
    if (!entities.has(detector.entity)) continue;
    detector.pattern.lastIndex = 0;
    for (const match of text.matchAll(detector.pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      if (detector.accept && !detector.accept(match[0])) continue;
      if (findings.some((finding) => start < finding.end && end > finding.start)) continue;
      findings.push({ entity: detector.entity, start, end });
    }
  }
  return findings.sort((left, right) => left.start - right.start);
}

/** The text with each finding replaced by `[REDACTED_<KIND>]`. */
export function redactFindings(text: string, findings: readonly PiiFinding[]): string {
  let result = '';
  let position = 0;
  for (const finding of findings) {
    result += text.slice(position, finding.start) + `[REDACTED_${finding.entity.toUpperCase()}]`;
    position = finding.end;
  }
  return result + text.slice(position);
}
