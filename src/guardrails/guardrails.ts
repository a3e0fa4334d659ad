import type { Caller } from '../core/caller.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import { GatewayError } from '../core/errors.ts';
import type { GovernedRecord, GuardrailOutcome, Screened } from '../core/governance.ts';
import type { GuardrailConfig, RouteConfig } from '../config/schema.ts';
import { countPromptTokens, countTextsTokens, promptTokensAtMost, textsTokensAtMost } from '../tokens/count.ts';
import { findPii, redactFindings, type PiiEntity, type PiiFinding } from './pii.ts';
import { chatTextSlots, embeddingTextSlots, nativeBodyTexts, rewriteNativeBody, type TextSlot } from './text-slots.ts';

/** A guardrail compiled once at startup (regular expressions, entity sets). */
type CompiledGuardrail =
  | { name: string; type: 'pii'; entities: ReadonlySet<PiiEntity>; action: 'redact' | 'block' | 'on_prem' }
  | { name: string; type: 'deny'; patterns: readonly RegExp[] }
  | { name: string; type: 'max_prompt_tokens'; maxTokens: number };

/** The request under screening: its text, its prompt size, and how to redact it. */
interface Subject {
  /**
   * The caller's text as a provider would receive it: the native body's text values when the
   * request has one (a same-format provider gets that body; the typed request is parsed from it,
   * so it holds no caller text the body lacks), else the typed request's.
   */
  texts(): readonly string[];
  /** Inputs given as token ids (embeddings), which no pattern can read. */
  unreadable: boolean;
  promptTokens(): number;
  /** A bound no lower than `promptTokens()`, without the tokenizer (src/tokens/count.ts). */
  promptTokensAtMost(): number;
  /**
   * Rewrites every caller text of a private copy of the request, typed and native alike, so the
   * caller's parsed body is untouched and no path to a provider (passthrough, another format, a
   * stream's continuation built from the typed request) keeps the original.
   */
  redact(rewrite: (text: string) => string): void;
}

/** The texts of a native body if there is one, else of the typed request's slots. */
function textsOf(native: { body: Record<string, unknown> } | undefined, slots: () => TextSlot[]): string[] {
  return native ? nativeBodyTexts(native.body) : slots().map((slot) => slot.get());
}

/**
 * Guardrails (docs/guardrails.md): named checks from the config's `guardrails:` list, applied
 * to a request when its route or the caller's key (or team) names them, after rules and before
 * routing. Each records what it did in the ledger row; a redaction is also a warning, so a
 * request is never changed silently; a block is a 400 naming the guardrail and the kind of
 * data, never the data.
 */
export class Guardrails {
  readonly #byName: ReadonlyMap<string, CompiledGuardrail>;
  readonly #byRoute: ReadonlyMap<string, readonly string[]>;

  constructor(configs: readonly GuardrailConfig[], routes: readonly Pick<RouteConfig, 'id' | 'guardrails'>[]) {
    this.#byName = new Map(configs.map((config) => [config.name, compile(config)]));
    this.#byRoute = new Map(routes.filter((route) => route.guardrails.length > 0).map((route) => [route.id, route.guardrails]));
  }

  /** Whether a guardrail of this name is configured (keys may only name these). */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  screenChat(record: GovernedRecord, request: ChatRequest, requested: string, caller: Caller): Screened<ChatRequest> {
    const selected = this.#select(requested, caller);
    if (selected === null) return { request, onPrem: false };
    let current = request;
    let texts: readonly string[] | undefined;
    return this.#run(record, selected, () => current, {
      texts: () => (texts ??= textsOf(current.native, () => chatTextSlots(current))),
      unreadable: false,
      promptTokens: () => countPromptTokens(current),
      promptTokensAtMost: () => promptTokensAtMost(current),
      redact: (rewrite) => {
        if (current === request) current = structuredClone(request);
        for (const slot of chatTextSlots(current)) slot.set(rewrite(slot.get()));
        if (current.native) current.native = { ...current.native, body: rewriteNativeBody(current.native.body, rewrite) };
        texts = undefined;
      },
    });
  }

  screenEmbedding(record: GovernedRecord, request: EmbeddingRequest, requested: string, caller: Caller): Screened<EmbeddingRequest> {
    const selected = this.#select(requested, caller);
    if (selected === null) return { request, onPrem: false };
    let current = request;
    // Token-id inputs count one token each (src/api/openai/embeddings.ts).
    const tokenIds = request.inputTokenIds ?? 0;
    let texts: readonly string[] | undefined;
    return this.#run(record, selected, () => current, {
      texts: () => (texts ??= textsOf(current.native, () => embeddingTextSlots(current))),
      unreadable: tokenIds > 0,
      promptTokens: () => countTextsTokens(current.input) + tokenIds,
      promptTokensAtMost: () => textsTokensAtMost(current.input) + tokenIds,
      redact: (rewrite) => {
        if (current === request) current = { ...request, input: [...request.input] };
        for (const slot of embeddingTextSlots(current)) slot.set(rewrite(slot.get()));
        if (current.native) current.native = { ...current.native, body: rewriteNativeBody(current.native.body, rewrite) };
        texts = undefined;
      },
    });
  }

  /** The route's guardrails, then the key's and team's; null when there are none (the common case). */
  #select(requested: string, caller: Caller): CompiledGuardrail[] | null {
    const fromRoute = this.#byRoute.get(requested);
    const fromKey = caller.governance?.guardrails;
    if (!fromRoute && !fromKey?.length) return null;
    const names = new Set([...(fromRoute ?? []), ...(fromKey ?? [])]);
    const selected = [...names].flatMap((name) => {
      const guardrail = this.#byName.get(name);
      return guardrail ? [guardrail] : [];
    });
    return selected.length ? selected : null;
  }

  #run<T>(record: GovernedRecord, selected: readonly CompiledGuardrail[], current: () => T, subject: Subject): Screened<T> {
    let onPrem = false;
    for (const guardrail of selected) {
      const outcome = apply(guardrail, subject);
      record.guardrails.push(outcome);
      if (outcome.result === 'blocked') throw blocked(guardrail, outcome);
      if (outcome.result === 'restricted_on_prem') onPrem = true;
      if (outcome.result === 'redacted') {
        record.warnings.push({ type: 'other', message: `guardrail "${guardrail.name}" redacted ${describeFindings(outcome.findings)}` });
      }
    }
    return { request: current(), onPrem };
  }
}

function compile(config: GuardrailConfig): CompiledGuardrail {
  switch (config.type) {
    case 'pii':
      return { name: config.name, type: 'pii', entities: new Set(config.entities), action: config.action };
    case 'deny':
      return { name: config.name, type: 'deny', patterns: config.patterns.map((source) => new RegExp(source, config.case_sensitive ? 'u' : 'iu')) };
    case 'max_prompt_tokens':
      return { name: config.name, type: 'max_prompt_tokens', maxTokens: config.max_tokens };
    default: {
      const exhaustive: never = config;
      return exhaustive;
    }
  }
}

function apply(guardrail: CompiledGuardrail, subject: Subject): GuardrailOutcome {
  const base = { name: guardrail.name, type: guardrail.type };
  switch (guardrail.type) {
    case 'pii': {
      // Token ids cannot be read: the data may be there, so the action is taken as on a finding.
      if (subject.unreadable) return unreadable(base, guardrail.action);
      const findings = countFindings(subject.texts().flatMap((text) => findPii(text, guardrail.entities)));
      if (!findings) return { ...base, result: 'passed' };
      if (guardrail.action === 'block') return { ...base, result: 'blocked', findings };
      if (guardrail.action === 'on_prem') return { ...base, result: 'restricted_on_prem', findings };
      subject.redact((text) => redactFindings(text, findPii(text, guardrail.entities)));
      return { ...base, result: 'redacted', findings };
    }
    case 'deny': {
      if (subject.unreadable) return unreadable(base, 'block');
      const index = guardrail.patterns.findIndex((pattern) => subject.texts().some((text) => pattern.test(text)));
      return index < 0 ? { ...base, result: 'passed' } : { ...base, result: 'blocked', detail: `matches denied pattern ${index + 1}` };
    }
    case 'max_prompt_tokens': {
      // Counted only when the prompt's bytes (a bound on its tokens) exceed the limit.
      if (subject.promptTokensAtMost() <= guardrail.maxTokens) return { ...base, result: 'passed' };
      const tokens = subject.promptTokens();
      return tokens > guardrail.maxTokens
        ? { ...base, result: 'blocked', detail: `${tokens} prompt tokens > ${guardrail.maxTokens} allowed` }
        : { ...base, result: 'passed' };
    }
    default: {
      const exhaustive: never = guardrail;
      return exhaustive;
    }
  }
}

const unreadableDetail = 'token-id inputs cannot be read';

/** What a guardrail that reads text does with inputs it cannot read: block (a redaction is impossible), or keep them on-prem. */
function unreadable(base: Pick<GuardrailOutcome, 'name' | 'type'>, action: 'redact' | 'block' | 'on_prem'): GuardrailOutcome {
  return action === 'on_prem' ? { ...base, result: 'restricted_on_prem', detail: unreadableDetail } : { ...base, result: 'blocked', detail: unreadableDetail };
}

function countFindings(findings: readonly PiiFinding[]): Record<string, number> | undefined {
  if (findings.length === 0) return undefined;
  const counts: Record<string, number> = {};
  for (const finding of findings) counts[finding.entity] = (counts[finding.entity] ?? 0) + 1;
  return counts;
}

function describeFindings(findings: Record<string, number> | undefined): string {
  return Object.entries(findings ?? {})
    .map(([entity, count]) => `${count} ${entity}`)
    .join(', ');
}

function blocked(guardrail: CompiledGuardrail, outcome: GuardrailOutcome): GatewayError {
  const why =
    outcome.detail === unreadableDetail
      ? 'its token-id inputs cannot be read (send the inputs as text)'
      : guardrail.type === 'pii'
        ? `it contains ${Object.keys(outcome.findings ?? {}).join(', ')}`
        : guardrail.type === 'deny'
          ? 'it matches a denied pattern'
          : `the prompt is too long (${outcome.detail ?? ''})`;
  return new GatewayError('SB_ERR_INVALID_REQUEST', `Request blocked by guardrail "${guardrail.name}": ${why}.`, { publicCode: 'guardrail_blocked' });
}
