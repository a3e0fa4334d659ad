import type { Caller } from './core/caller.ts';
import type { ChatRequest } from './core/chat-request.ts';
import type { ChatResult } from './core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from './core/embedding.ts';
import { GatewayError, modelNotFound } from './core/errors.ts';
import type { AdmissionRequest, RequestGovernance, GovernedRecord } from './core/governance.ts';
import type { ModelInfo } from './core/model.ts';
import type { AttemptRecord } from './core/ledger.ts';
import type { Usage } from './core/usage.ts';
import type { RoutingStateStore } from './core/routing-state.ts';
import type { RoutingRequest } from './core/strategy.ts';
import type { EventReader, StreamEvent } from './core/stream-event.ts';
import type { RequestRecord } from './ledger/request-record.ts';
import { UsageTap } from './ledger/usage-tap.ts';
import type { Transformer } from 'node:stream/web';
import { readerOf, transformReader } from './streams/event-reader.ts';
import { fuse } from './streams/fuse.ts';
import { cacheKey, cacheScope } from './cache/cache-key.ts';
import { ResultCollector } from './cache/collect-result.ts';
import { replayAsStream } from './cache/replay.ts';
import type { CachedAnswer, NativeStream, ResponseCache } from './core/response-cache.ts';
import { executeChat, executeEmbedding, executeStream, type ExecutionContext, type ProviderHandle } from './router/execute.ts';
import { explainPlan } from './router/explain.ts';
import { applyOverrides } from './router/overrides.ts';
import { planKeeps, type Plan, type Planner } from './router/plan.ts';
import { chatRoutingRequest, embeddingRoutingRequest, type Requirements } from './router/routing-request.ts';
import type { CompiledRules, RuleMatch } from './router/rules.ts';
import { countPromptTokens, countTextsTokens } from './tokens/count.ts';
import type { AbortSignalLike } from './core/abort.ts';

/** What the pipeline needs; wired by app.ts. */
export interface PipelineDependencies {
  planner: Planner;
  rules: CompiledRules;
  providers: ReadonlyMap<string, ProviderHandle>;
  state: RoutingStateStore;
  /** Count prompt tokens at dispatch for providers' tpm windows (only when some provider has a tpm limit). */
  countDispatchTokens: boolean;
  /** Guardrails before routing, limits and budgets before execution (src/keys/governance.ts). */
  governance?: RequestGovernance;
  /** The exact-match cache of routes with `cache: {ttl_s}`. */
  cache?: ResponseCache;
  /**
   * False when a finished request's row could be kept nowhere (the ledger store failing and its
   * queue full): new requests are then refused before any provider is paid for them.
   */
  canRecord?: () => boolean;
}

/** A finished chat: the answer, or a stream of events already tapped for accounting. */
export type ChatOutcome =
  | { kind: 'complete'; result: ChatResult; model: ModelInfo; plan: Plan }
  | {
      kind: 'stream';
      /**
       * The events, through the usage tap and then `formatter` (the caller's wire format), as
       * one fused stage (src/streams/fuse.ts) with a lean reader (src/streams/event-reader.ts). Read once.
       */
      body<T>(formatter: Transformer<StreamEvent, T>): EventReader<T>;
      tap: UsageTap;
      model: ModelInfo;
      plan: Plan;
    };

/** What a rule's `when` reads of a request (chats and embeddings). */
type RuleRequest = Pick<ChatRequest, 'model' | 'metadata' | 'user'>;

/** What a chat keeps from its screening to its execution. */
interface ChatDispatch {
  record: RequestRecord;
  request: ChatRequest;
  plan: Plan;
  cache: CacheSlot | undefined;
  signal: AbortSignalLike;
  /** Its prompt's measures (the tokens dispatched); not kept once the call is made. */
  routing: RoutingRequest;
}

/** The response-cache entry of a request (Pipeline#cacheSlot). */
interface CacheSlot {
  lookup(): CachedAnswer | undefined | Promise<CachedAnswer | undefined>;
  /** A streamed answer's verbatim chunks beside it, when it has them (ResultCollector). */
  store(answer: { result: ChatResult; stream?: NativeStream } | undefined, model: ModelInfo): void;
}

/** A stream outcome over `events`, which `tap` accounts for on their way to the formatter. */
function streamOutcome(events: EventReader<StreamEvent>, tap: UsageTap, model: ModelInfo, plan: Plan): ChatOutcome {
  return { kind: 'stream', body: (formatter) => transformReader(events, fuse(tap.transformer, formatter)), tap, model, plan };
}

/**
 * Per-request orchestration after the HTTP layer has authenticated and parsed the request:
 * rules → plan → execute → account. Every outcome leaves the request's record filled in; the HTTP
 * layer finishes the record for non-streamed answers and errors, the usage tap for streams.
 */
export class Pipeline {
  readonly #dependencies: PipelineDependencies;

  constructor(dependencies: PipelineDependencies) {
    this.#dependencies = dependencies;
  }

  /**
   * A promise chain rather than an async function: the function's suspended frame, and with it
   * the routing request, the caller and the rule's rewrite, was kept for the provider's whole
   * answer time (executeChat's comment, src/router/execute.ts).
   */
  chat(record: RequestRecord, incoming: ChatRequest, signal: AbortSignalLike, caller: Caller): Promise<ChatOutcome> {
    try {
      this.#checkRecording();
      record.modelRequested = incoming.model;
      record.stream = incoming.stream;
      record.metadata = incoming.metadata;
      const { request, requested, requirements } = this.#screen(record, this.#applyRules(record, incoming, caller), caller);
      const routing = chatRoutingRequest(request, requested, caller, requirements);
      const plan = this.#plan(record, () => this.#dependencies.planner.plan(routing));
      const cache = this.#cacheSlot(record, plan, request, caller);
      const dispatch = { record, request, plan, cache, signal, routing };
      const cached = cache?.lookup();
      if (cached instanceof Promise) {
        // A cache shared by replicas (Redis): what this process does not hold is asked there.
        return cached.then((answer) => (answer ? answerFromCache(record, request, answer, plan) : this.#admit(dispatch, caller, requested)));
      }
      if (cached) return Promise.resolve(answerFromCache(record, request, cached, plan));
      return this.#admit(dispatch, caller, requested);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Limits and budgets (governance), then the chat through the plan's candidates. */
  #admit(dispatch: ChatDispatch, caller: Caller, requested: string): Promise<ChatOutcome> {
    const { request, plan, routing } = dispatch;
    const admitted = this.#dependencies.governance?.admit(dispatch.record, caller, {
      requested,
      candidates: plan.candidates,
      ...promptOf(routing),
      ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
      hasOutput: true,
      ...(request.n !== undefined && request.n > 1 ? { choices: request.n } : {}),
    });
    // A provider's `limits.tpm` steers balance by the prompt tokens dispatched this minute: an
    // estimate serves as well as the count, without the tokenizer's 10-27 µs per KB (ADR 0015).
    // Taken once admitted, which may have counted them.
    return admitted ? admitted.then(() => this.#execute(dispatch)) : this.#execute(dispatch);
  }

  /** An admitted chat through the plan's candidates, and its record once answered. */
  #execute(dispatch: ChatDispatch): Promise<ChatOutcome> {
    const { record, request, plan, cache } = dispatch;
    const dispatchTokens = this.#dependencies.countDispatchTokens ? (dispatch.routing.promptTokensEstimate?.() ?? dispatch.routing.promptTokens()) : 0;
    const context = this.#executionContext(record, dispatch.signal, dispatchTokens, dispatch.routing);
    if (request.stream) {
      return executeStream(plan, request, context).then((execution) => {
        record.answered = execution.model;
        if (request.native?.nativeOnly) this.#notSent(record, request, execution.model);
        const collector = cache ? new ResultCollector() : undefined;
        const tap = new UsageTap(record, request, {
          ...(collector ? { observe: (event) => collector.add(event), onFinish: () => cache!.store(collector.take(), execution.model) } : {}),
        });
        return streamOutcome(execution.value, tap, execution.model, plan);
      });
    }
    return executeChat(plan, request, context).then((execution): ChatOutcome => {
      const result = execution.value;
      record.answered = execution.model;
      record.warnings.push(...result.warnings);
      if (request.native?.nativeOnly) this.#notSent(record, request, execution.model);
      record.usage = result.usage.estimated ? estimateChatUsage(request, result) : result.usage;
      cache?.store({ result }, execution.model);
      return { kind: 'complete', result, model: execution.model, plan };
    });
  }

  /**
   * The caller's settings that only a provider of its own wire format receives, when a provider
   * of another answered: a warning each on the ledger row (STYLE: never change a request silently).
   */
  #notSent(record: RequestRecord, request: ChatRequest, model: ModelInfo): void {
    const native = request.native!;
    const adapter = this.#dependencies.providers.get(model.providerId)?.adapter;
    if (adapter?.nativeFormat === native.format) return;
    for (const setting of native.nativeOnly!) {
      if (adapter?.translates?.has(setting)) continue;
      record.warnings.push({ type: 'dropped-setting', setting, message: `${setting} has no equivalent for provider "${model.providerId}" (${model.upstream}): not sent` });
    }
  }

  /** The response-cache entry of this request, when its route has `cache: {ttl_s}`. */
  #cacheSlot(record: RequestRecord, plan: Plan, request: ChatRequest, caller: Caller): CacheSlot | undefined {
    const ttl = plan.route?.cache?.ttl_s;
    const responses = this.#dependencies.cache;
    if (!ttl || !responses || !plan.route) return undefined;
    const key = cacheKey(plan.route.id, request, cacheScope(caller));
    return {
      lookup: () => {
        // Only an answer of a model this request may use (a key of the same team may be allowed fewer).
        const usable = (answer: CachedAnswer | undefined) => {
          const kept = answer && planKeeps(plan, answer.model) ? answer : undefined;
          record.cache = kept ? 'hit' : 'miss';
          return kept;
        };
        const answer = responses.get(key);
        // A shared cache that fails is a miss: the request goes to a provider, never fails for it.
        return answer instanceof Promise ? answer.then(usable, () => usable(undefined)) : usable(answer);
      },
      store: (answer: { result: ChatResult; stream?: NativeStream } | undefined, model: ModelInfo) => {
        if (answer && answer.result.finishReason !== 'error') responses.set(key, { result: answer.result, ...(answer.stream ? { stream: answer.stream } : {}), model: model.id, provider: model.providerId, upstream: model.upstream }, ttl * 1000);
      },
    };
  }

  async embed(record: RequestRecord, incoming: EmbeddingRequest, signal: AbortSignalLike, caller: Caller): Promise<{ result: EmbeddingResult; model: ModelInfo; plan: Plan }> {
    this.#checkRecording();
    record.modelRequested = incoming.model;
    record.metadata = incoming.metadata;
    // Rules apply as to a chat (an outside probe: a `require: {on_prem: true}` rule let a
    // sensitive text go to a cloud embeddings model, and deny and route rules did nothing).
    // `set` has no embeddings parameter to override.
    const rule = this.#matchRule(incoming, caller);
    const { requested, requirements } = this.#routeByRule(incoming.model, rule);
    if (rule) record.reason = `rules[${rule.index}] matched`;
    // The guardrails of the route a rule sent it to, as for a chat (an outside probe: a rule's
    // route to a guarded embeddings route ran none of that route's guardrails).
    const screened = this.#dependencies.governance?.screenEmbedding(record, incoming, requested, caller);
    const request = screened?.request ?? incoming;
    const routing = embeddingRoutingRequest(request, requested, caller, screened?.onPrem ? { ...requirements, onPrem: true } : requirements);
    const plan = this.#plan(record, () => this.#dependencies.planner.plan(routing));
    await this.#dependencies.governance?.admit(record, caller, {
      requested,
      candidates: plan.candidates,
      ...promptOf(routing),
      hasOutput: false,
    });
    const execution = await executeEmbedding(plan, request, this.#executionContext(record, signal, 0, routing));
    record.answered = execution.model;
    const result = execution.value;
    if (result.warnings) record.warnings.push(...result.warnings);
    // An estimate gives way to routing's count of the inputs (texts and token ids), made once for
    // every use: in the answer too, so that its usage is what the ledger row bills.
    if (result.usage.estimated) result.usage = { inputTokens: routing.promptTokens(), outputTokens: 0, estimated: true };
    record.usage = result.usage;
    return { result, model: execution.model, plan };
  }

  /** The routing decision a chat request would get, with no provider called (/v1/route/explain). */
  explain(incoming: ChatRequest, caller: Caller): Record<string, unknown> {
    const rule = this.#matchRule(incoming, caller);
    const rewritten = this.#rewrite(incoming, caller, rule);
    // The guardrails run as on a real request (an outside probe: an `on_prem` action sent the
    // request to an on-prem model while explain named the cloud one); a block is the refusal
    // the request would get. Their outcomes go on a record of its own, shown in the answer.
    const scratch: GovernedRecord = { id: 'explain', guardrails: [], warnings: [], onFinish: () => undefined };
    const screened = this.#dependencies.governance?.screenChat(scratch, rewritten.request, rewritten.requested, caller);
    const requirements = screened?.onPrem ? { ...rewritten.requirements, onPrem: true } : rewritten.requirements;
    const routing = { ...chatRoutingRequest(screened?.request ?? rewritten.request, rewritten.requested, caller, requirements), explain: true };
    const explained = explainPlan(this.#dependencies.planner.plan(routing), rule, routing);
    return scratch.guardrails.length > 0 ? Object.assign(explained, { guardrails: scratch.guardrails }) : explained;
  }

  /**
   * The refusal `chat` would give the request's model, with no provider called
   * (/v1/messages/count_tokens): 404 for a name nothing answers to, 403 for one the key may not
   * use or a rule denies.
   */
  checkModel(incoming: ChatRequest, caller: Caller): void {
    const { requested } = this.#routeByRule(incoming.model, this.#matchRule(incoming, caller));
    if (!this.#dependencies.planner.knows(requested)) throw modelNotFound(requested);
  }

  /** Known route ids (for /v1/models). */
  routeIds(): string[] {
    return this.#dependencies.planner.routeIds();
  }

  /** Guardrails on the rewritten request; an `on_prem` action adds a data-policy requirement. */
  #screen(record: RequestRecord, ruled: { request: ChatRequest; requested: string; requirements: Requirements }, caller: Caller) {
    const screened = this.#dependencies.governance?.screenChat(record, ruled.request, ruled.requested, caller);
    if (!screened) return ruled;
    return { ...ruled, request: screened.request, requirements: screened.onPrem ? { ...ruled.requirements, onPrem: true } : ruled.requirements };
  }

  #applyRules(record: RequestRecord, incoming: ChatRequest, caller: Caller) {
    const rule = this.#matchRule(incoming, caller);
    const rewritten = this.#rewrite(incoming, caller, rule);
    record.warnings.push(...rewritten.warnings);
    if (rule) record.reason = `rules[${rule.index}] matched`;
    return rewritten;
  }

  #matchRule(request: RuleRequest, caller: Caller): RuleMatch | undefined {
    // A rule may route a name that is no model or route: for this key, that name exists.
    if (!caller.allowsModel(request.model)) this.#refuseModel(request.model, () => this.#findRule(request, caller)?.route !== undefined);
    return this.#findRule(request, caller);
  }

  #findRule(request: RuleRequest, caller: Caller): RuleMatch | undefined {
    if (this.#dependencies.rules.empty) return undefined;
    return this.#dependencies.rules.match({
      metadata: request.metadata,
      keyId: caller.keyId,
      keyName: caller.keyName,
      team: caller.team,
      model: request.model,
      ...(request.user !== undefined ? { user: request.user } : {}),
      header: (name) => caller.header(name),
      now: new Date(),
    });
  }

  /** A rule's actions: deny (403), another route, data-policy requirements, parameter overrides. */
  #rewrite(incoming: ChatRequest, _caller: Caller, rule: RuleMatch | undefined) {
    const { requested, requirements } = this.#routeByRule(incoming.model, rule);
    const overridden = rule?.set ? applyOverrides(incoming, rule.set, rule.index) : { request: incoming, warnings: [] };
    return { request: overridden.request, requested, requirements, warnings: overridden.warnings };
  }

  /** A rule's routing actions, for chats and embeddings alike: deny (403), another route, data-policy requirements. */
  #routeByRule(model: string, rule: RuleMatch | undefined): { requested: string; requirements: Requirements } {
    if (rule?.deny) throw new GatewayError('SB_ERR_MODEL_FORBIDDEN', rule.deny, { publicCode: 'denied_by_rule' });
    return { requested: rule?.route ?? model, requirements: { ...(rule?.require ?? {}) } };
  }

  #checkRecording(): void {
    if (this.#dependencies.canRecord && !this.#dependencies.canRecord()) {
      throw new GatewayError('SB_ERR_UNAVAILABLE', 'Switchboard cannot record requests right now (its ledger store is failing); no provider was called. Retry later.', {
        retryAfterSeconds: 5,
      });
    }
  }

  /**
   * A name the key may not use: 404 when nothing by that name exists (no route, model or
   * `<provider>/<model>` address, nor a rule's route for it), as for any key; 403 otherwise
   * (../shared/SPEC.md "Errors": 403 model not allowed, 404 unknown model).
   */
  #refuseModel(model: string, routedByRule: () => boolean): never {
    if (!this.#dependencies.planner.knows(model) && !routedByRule()) throw modelNotFound(model);
    throw new GatewayError('SB_ERR_MODEL_FORBIDDEN', `This key (or its team) is not allowed to use the model \`${model}\`.`, { param: 'model', publicCode: 'model_not_allowed' });
  }

  #plan(record: RequestRecord, makePlan: () => Plan): Plan {
    const plan = makePlan();
    record.route = plan.route?.id ?? null;
    record.reason = record.reason ? `${record.reason}; ${plan.reason}` : plan.reason;
    if (plan.warnings) record.warnings.push(...plan.warnings);
    return plan;
  }

  #executionContext(record: RequestRecord, signal: AbortSignalLike, dispatchTokens: number, routing: Pick<RoutingRequest, 'promptTokens'>): ExecutionContext {
    return new RequestExecution(record, signal, this.#dependencies.providers, this.#dependencies.state, dispatchTokens, routing);
  }
}

/**
 * A request's execution context. A class, so that `provider` and `spend` are methods rather than
 * two closures (and their context) that every request kept while it waited (bench/held.ts).
 */
class RequestExecution implements ExecutionContext {
  readonly requestId: string;
  readonly signal: AbortSignalLike;
  readonly attempts: AttemptRecord[];
  readonly state: RoutingStateStore;
  readonly dispatchTokens: number;
  readonly #record: RequestRecord;
  readonly #providers: ReadonlyMap<string, ProviderHandle>;
  readonly #routing: Pick<RoutingRequest, 'promptTokens'>;

  constructor(record: RequestRecord, signal: AbortSignalLike, providers: ReadonlyMap<string, ProviderHandle>, state: RoutingStateStore, dispatchTokens: number, routing: Pick<RoutingRequest, 'promptTokens'>) {
    this.requestId = record.id;
    this.signal = signal;
    this.attempts = record.attempts;
    this.state = state;
    this.dispatchTokens = dispatchTokens;
    this.#record = record;
    this.#providers = providers;
    this.#routing = routing;
  }

  provider(id: string): ProviderHandle | undefined {
    return this.#providers.get(id);
  }

  spend(model: ModelInfo, usage: Usage, attempt: AttemptRecord): void {
    this.#record.spend(model, usage, attempt);
  }

  promptTokens(): number {
    return this.#routing.promptTokens();
  }
}

/**
 * A cache hit: the stored answer, costing nothing (no tokens, no attempts), streamed as events
 * when the request streams.
 */
function answerFromCache(record: RequestRecord, request: ChatRequest, cached: CachedAnswer, plan: Plan): ChatOutcome {
  const model: ModelInfo = { id: cached.model, providerId: cached.provider, upstream: cached.upstream, tags: [] };
  record.answered = model;
  record.reason = `${record.reason ?? ''}; answered from the response cache`;
  if (request.stream) {
    const tap = new UsageTap(record, request, { free: true });
    return streamOutcome(readerOf(replayAsStream(cached, request)), tap, model, plan);
  }
  record.usage = { inputTokens: 0, outputTokens: 0 };
  return { kind: 'complete', result: cached.result, model, plan };
}

/** What admission takes of routing's prompt measures: the count, and the bound and estimate where it has them. */
function promptOf(routing: RoutingRequest): Pick<AdmissionRequest, 'promptTokens' | 'promptTokensAtMost' | 'promptTokensEstimate'> {
  return {
    promptTokens: routing.promptTokens,
    ...(routing.promptTokensAtMost ? { promptTokensAtMost: routing.promptTokensAtMost } : {}),
    ...(routing.promptTokensEstimate ? { promptTokensEstimate: routing.promptTokensEstimate } : {}),
  };
}

/** Counted usage for a provider that reported none. */
function estimateChatUsage(request: ChatRequest, result: ChatResult) {
  const output = result.content.flatMap((part) => (part.type === 'tool-call' ? [part.name, part.arguments] : [part.text]));
  return { inputTokens: countPromptTokens(request), outputTokens: countTextsTokens(output), estimated: true };
}
