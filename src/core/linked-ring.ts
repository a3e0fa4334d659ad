/** What a `LinkedRing` links: the node's own object, with two fields for its neighbours. */
export interface RingNode<Node> {
  previous: Node | undefined;
  next: Node | undefined;
}

/**
 * An intrusive circular list in the order nodes were added: adding and removing take constant
 * time and allocate nothing (the caller's node carries the links). For sets that requests join
 * and leave all the time (the drain deadline's subscribers, src/server/shared-signal.ts; the
 * in-flight journal's open requests, src/ledger/in-flight-journal.ts): a `Set` or `Map` there
 * rebuilt its hash table as entries came and went, and those tables were most of what requests
 * moved to V8's old generation (docs/performance.md, seventeenth session). A removed node has
 * both links cleared, so it keeps none of its neighbours alive.
 */
export class LinkedRing<Node extends RingNode<Node>> {
  /** The sentinel: its `next` is the first node, its `previous` the last. */
  readonly #head: RingNode<Node>;
  #size = 0;

  constructor() {
    const head: RingNode<Node> = { previous: undefined, next: undefined };
    head.previous = head.next = head as Node;
    this.#head = head;
  }

  get size(): number {
    return this.#size;
  }

  /** Links `node` last; it must not be in a ring. */
  add(node: Node): void {
    const head = this.#head as Node;
    const last = head.previous!;
    node.previous = last;
    node.next = head;
    last.next = node;
    head.previous = node;
    this.#size += 1;
  }

  /** Unlinks `node`; false when it was not linked (removed already, or cleared). */
  remove(node: Node): boolean {
    if (node.next === undefined) return false;
    node.previous!.next = node.next;
    node.next.previous = node.previous;
    node.previous = node.next = undefined;
    this.#size -= 1;
    return true;
  }

  /** The nodes, first to last; the ring must not change while this runs. */
  *[Symbol.iterator](): IterableIterator<Node> {
    const head = this.#head as Node;
    for (let node = head.next!; node !== head; node = node.next!) yield node;
  }

  /** Unlinks every node, and returns them first to last. */
  clear(): Node[] {
    const nodes = [...this];
    for (const node of nodes) node.previous = node.next = undefined;
    this.#head.previous = this.#head.next = this.#head as Node;
    this.#size = 0;
    return nodes;
  }
}
