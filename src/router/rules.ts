import type { RuleConfig } from '../config/schema.ts';
import { timeWindowPattern } from '../config/check-references.ts';

/** What a rule's `when` can test, for one request. */
export interface RuleSubject {
  metadata: Readonly<Record<string, string>>;
  /** The virtual key's id and name (null for the master key and open access). */
  keyId: string | null;
  keyName: string | null;
  team: string | null;
  /** The model or route id the caller asked for. */
  model: string;
  user?: string;
  /** Lower-case header names. */
  header(name: string): string | undefined;
  now: Date;
}

/** The first matching rule's actions. */
export interface RuleMatch {
  /** Position in `rules:` (for the ledger's routing reason and explain). */
  index: number;
  route?: string;
  require?: { onPrem?: boolean; noRetention?: boolean };
  /** Set when the rule denies the request: the message for the caller. */
  deny?: string;
  set?: Record<string, unknown>;
}

type Condition = (subject: RuleSubject) => boolean;

/** The `rules:` list compiled once at config load: conditions become predicates, globs regexes. */
export interface CompiledRules {
  /** No rules configured: callers skip building a subject (and reading the clock) at all. */
  readonly empty: boolean;
  /** The first rule whose every condition holds, or undefined. */
  match(subject: RuleSubject): RuleMatch | undefined;
}

/**
 * Compiles `rules:` (../shared/SPEC.md "Configuration"; docs/routing.md). Condition keys:
 * `metadata.<name>`, `header.<name>`, `key` (id or name), `team`, `model`, `user`, `time`
 * ("HH:MM-HH:MM" in UTC, may wrap midnight). Values are exact strings with `*` wildcards, or
 * lists meaning any of them. config/check-references.ts has already rejected unknown keys.
 */
export function compileRules(rules: readonly RuleConfig[]): CompiledRules {
  const compiled = rules.map((rule, index) => {
    const conditions = Object.entries(rule.when).map(([key, value]) => compileCondition(key, value));
    const action: RuleMatch = { index };
    if (rule.route !== undefined) action.route = rule.route;
    if (rule.require) {
      action.require = {
        ...(rule.require.on_prem ? { onPrem: true } : {}),
        ...(rule.require.retains_data === false ? { noRetention: true } : {}),
      };
    }
    if (rule.deny !== undefined && rule.deny !== false) {
      action.deny = typeof rule.deny === 'string' ? rule.deny : `Request denied by rule ${index}.`;
    }
    if (rule.set) action.set = rule.set;
    return { conditions, action };
  });
  return {
    empty: compiled.length === 0,
    match(subject) {
      for (const rule of compiled) if (rule.conditions.every((condition) => condition(subject))) return rule.action;
      return undefined;
    },
  };
}

function compileCondition(key: string, expected: string | number | boolean | string[]): Condition {
  if (key === 'time') return compileTimeWindow(String(expected));
  const matches = compileMatcher(expected);
  if (key.startsWith('metadata.')) {
    const name = key.slice('metadata.'.length);
    return (subject) => matches(subject.metadata[name]);
  }
  if (key.startsWith('header.')) {
    const name = key.slice('header.'.length).toLowerCase();
    return (subject) => matches(subject.header(name));
  }
  switch (key) {
    case 'key':
      return (subject) => matches(subject.keyId ?? undefined) || matches(subject.keyName ?? undefined);
    case 'team':
      return (subject) => matches(subject.team ?? undefined);
    case 'model':
      return (subject) => matches(subject.model);
    case 'user':
      return (subject) => matches(subject.user);
    default:
      throw new Error(`rules: unknown condition "${key}"`);
  }
}

function compileMatcher(expected: string | number | boolean | string[]): (actual: string | undefined) => boolean {
  const patterns = (Array.isArray(expected) ? expected : [String(expected)]).map(globToRegExp);
  return (actual) => actual !== undefined && patterns.some((pattern) => pattern.test(actual));
}

/** `gpt-*` → /^gpt-.*$/; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`);
}

/** "09:00-17:30" (UTC) → whether a time falls in it; a window may wrap midnight. */
export function compileTimeWindow(window: string): Condition {
  const match = timeWindowPattern.exec(window.trim());
  if (!match) throw new Error(`rules: time must look like "09:00-17:00" (got "${window}")`);
  const start = Number(match[1]) * 60 + Number(match[2]);
  const end = Number(match[3]) * 60 + Number(match[4]);
  return (subject) => {
    const minute = subject.now.getUTCHours() * 60 + subject.now.getUTCMinutes();
    return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
  };
}
