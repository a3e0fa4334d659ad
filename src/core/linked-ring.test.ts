import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkedRing } from './linked-ring.ts';

interface Item {
  name: string;
  previous: Item | undefined;
  next: Item | undefined;
}

const item = (name: string): Item => ({ name, previous: undefined, next: undefined });
const names = (ring: LinkedRing<Item>) => [...ring].map((node) => node.name);

describe('LinkedRing', () => {
  it('keeps the order nodes came in, and removes from anywhere once', () => {
    const ring = new LinkedRing<Item>();
    const [a, b, c] = ['a', 'b', 'c'].map(item);
    for (const node of [a!, b!, c!]) ring.add(node);
    assert.deepEqual(names(ring), ['a', 'b', 'c']);
    assert.equal(ring.remove(b!), true);
    assert.equal(ring.remove(b!), false, 'a second remove changes nothing');
    assert.deepEqual([b!.previous, b!.next], [undefined, undefined], 'a removed node keeps no neighbour');
    assert.equal(ring.remove(a!), true);
    ring.add(item('d'));
    assert.deepEqual(names(ring), ['c', 'd']);
    assert.equal(ring.size, 2);
    assert.equal(ring.remove(c!), true);
    assert.equal(ring.remove(ring.clear()[0]!), false);
    assert.equal(ring.size, 0);
    assert.deepEqual(names(ring), []);
  });

  it('clears into a list of unlinked nodes, and takes new ones after', () => {
    const ring = new LinkedRing<Item>();
    const nodes = ['a', 'b', 'c'].map(item);
    for (const node of nodes) ring.add(node);
    assert.deepEqual(ring.clear().map((node) => node.name), ['a', 'b', 'c']);
    assert.ok(nodes.every((node) => node.previous === undefined && node.next === undefined));
    assert.equal(ring.remove(nodes[1]!), false, 'removing a cleared node changes nothing');
    assert.equal(ring.size, 0);
    ring.add(item('e'));
    assert.deepEqual(names(ring), ['e']);
  });
});
