import type { StreamEvent } from '../../core/stream-event.ts';

type Controller = TransformStreamDefaultController<StreamEvent>;

/** A content block open at one upstream index. */
export interface OpenBlock {
  kind: 'text' | 'reasoning' | 'tool' | 'ignored';
  id: string;
  /** tool: whether any argument text arrived; if none, `initialInput` is sent as the arguments on close. */
  sawInput: boolean;
  initialInput: string;
}

/** The open blocks of one stream, and the events that open and close them. */
export interface IndexedBlocks {
  get(index: number): OpenBlock | undefined;
  /** Opens `text-<index>` or `reasoning-<index>` (replacing whatever was recorded at the index). */
  open(controller: Controller, index: number, kind: 'text' | 'reasoning'): OpenBlock;
  /** Opens a tool call block; `initialInput` is its arguments should no argument text stream in. */
  openTool(controller: Controller, index: number, id: string, toolName: string, initialInput: string): OpenBlock;
  /** Records a block that has no StreamEvents (closing it emits nothing). */
  ignore(index: number): void;
  /** Closes the block at the index, if one is open. */
  close(controller: Controller, index: number): void;
  /** Closes every open block, in the order their indexes were first opened. */
  closeAll(controller: Controller): void;
}

/**
 * Content blocks of a stream whose provider numbers them (Anthropic `index`, Bedrock
 * `contentBlockIndex`, Cohere `index`): each opens with its start event and closes with its end
 * event, so every block a stream started is ended exactly once.
 */
export function createIndexedBlocks(): IndexedBlocks {
  const blocks = new Map<number, OpenBlock>();
  const close = (controller: Controller, index: number) => {
    const block = blocks.get(index);
    if (!block) return;
    blocks.delete(index);
    switch (block.kind) {
      case 'text':
        controller.enqueue({ type: 'text-end', id: block.id });
        return;
      case 'reasoning':
        controller.enqueue({ type: 'reasoning-end', id: block.id });
        return;
      case 'tool':
        if (!block.sawInput) controller.enqueue({ type: 'tool-input-delta', id: block.id, delta: block.initialInput });
        controller.enqueue({ type: 'tool-input-end', id: block.id });
        return;
      case 'ignored':
        return;
      default: {
        const exhaustive: never = block.kind;
        return exhaustive;
      }
    }
  };
  return {
    get: (index) => blocks.get(index),
    open(controller, index, kind) {
      const block: OpenBlock = { kind, id: `${kind}-${index}`, sawInput: false, initialInput: '' };
      blocks.set(index, block);
      controller.enqueue(kind === 'text' ? { type: 'text-start', id: block.id } : { type: 'reasoning-start', id: block.id });
      return block;
    },
    openTool(controller, index, id, toolName, initialInput) {
      const block: OpenBlock = { kind: 'tool', id, sawInput: false, initialInput };
      blocks.set(index, block);
      controller.enqueue({ type: 'tool-input-start', id, toolName });
      return block;
    },
    ignore(index) {
      blocks.set(index, { kind: 'ignored', id: '', sawInput: false, initialInput: '' });
    },
    close,
    closeAll(controller) {
      for (const index of [...blocks.keys()]) close(controller, index);
    },
  };
}
