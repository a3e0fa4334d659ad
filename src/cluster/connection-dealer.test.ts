import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { ConnectionDealer, type Seat } from './connection-dealer.ts';

/** A worker as the dealer sees it, recording what it is given. */
class FakeSeat implements Seat {
  readonly given: Array<{ id: number; socket: Socket }> = [];
  failNext = false;
  constructor(readonly slot: number) {}
  give(id: number, socket: Socket, failed: () => void): void {
    if (this.failNext) {
      this.failNext = false;
      queueMicrotask(failed);
      return;
    }
    this.given.push({ id, socket });
  }
}

async function waitUntil(what: string, probe: () => boolean): Promise<void> {
  for (let waited = 0; !probe(); waited += 5) {
    if (waited > 2_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('ConnectionDealer', () => {
  const dealers: ConnectionDealer[] = [];
  const clients: Socket[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
    for (const dealer of dealers.splice(0)) dealer.close();
  });

  const start = async () => {
    const dropped: string[] = [];
    const dealer = new ConnectionDealer((reason) => dropped.push(reason));
    dealers.push(dealer);
    const address = await dealer.listen(0, '127.0.0.1');
    const port = Number(new URL(address).port);
    const open = async () => {
      const client = connect(port, '127.0.0.1');
      clients.push(client);
      await once(client, 'connect');
      return client;
    };
    return { dealer, open, dropped, address };
  };

  it('binds the port and names it as the banner prints it', async () => {
    const { address } = await start();
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('hands connections to the free workers in turn, and lets go of each one a worker has', async () => {
    const { dealer, open } = await start();
    const one = new FakeSeat(1);
    const two = new FakeSeat(2);
    dealer.seat(one);
    dealer.seat(two);
    for (let count = 0; count < 4; count += 1) await open();
    // One each; the other two wait until a worker answers for the one it has.
    await waitUntil('two connections handed and two waiting', () => one.given.length + two.given.length === 2 && dealer.waiting === 2);
    const first = one.given[0]!;
    dealer.answered(one, first.id, true);
    assert.equal(first.socket.destroyed, true, "the primary's copy is closed once the worker has it");
    dealer.answered(two, two.given[0]!.id, true);
    assert.deepEqual([one.given.length, two.given.length, dealer.waiting, dealer.pending], [2, 2, 0, 2]);
    // An answer from a worker the connection was not handed to changes nothing.
    dealer.answered(one, two.given[1]!.id, true);
    assert.equal(dealer.pending, 2);
  });

  it('gives a worker that stalls one connection, not its share: the others go to the worker that answers', async () => {
    const { dealer, open } = await start();
    const stalled = new FakeSeat(1);
    const prompt = new FakeSeat(2);
    const answer = prompt.give.bind(prompt);
    prompt.give = (id, socket, failed) => {
      answer(id, socket, failed);
      queueMicrotask(() => dealer.answered(prompt, id, true));
    };
    dealer.seat(stalled);
    dealer.seat(prompt);
    for (let count = 0; count < 6; count += 1) await open();
    await waitUntil('six connections handed', () => stalled.given.length + prompt.given.length === 6);
    assert.deepEqual([stalled.given.length, prompt.given.length], [1, 5]);
  });

  it('keeps connections that arrive while no worker takes any, and hands them out when one does', async () => {
    const { dealer, open } = await start();
    await open();
    await open();
    await sleep(30);
    const late = new FakeSeat(1);
    dealer.seat(late);
    assert.equal(late.given.length, 1);
    dealer.answered(late, late.given[0]!.id, true);
    assert.deepEqual([late.given.length, dealer.waiting], [2, 0]);
  });

  it('gives the connections a dead worker never took to another worker, whole and unread', async () => {
    const { dealer, open } = await start();
    const dying = new FakeSeat(1);
    const living = new FakeSeat(2);
    dealer.seat(dying);
    dealer.seat(living);
    const client = await open();
    client.write('GET / HTTP/1.1\r\n\r\n');
    await waitUntil('the connection handed', () => dying.given.length === 1);
    const socket = dying.given[0]!.socket;
    dealer.unseat(dying, true);
    assert.equal(living.given.length, 1);
    assert.equal(living.given[0]!.socket, socket);
    assert.equal(socket.destroyed, false);
    assert.equal(socket.bytesRead, 0, 'the primary read nothing of it');
    // A late answer from the dead worker is ignored.
    dealer.answered(dying, dying.given[0]!.id, true);
    assert.equal(socket.destroyed, false);
  });

  it('gives a connection a draining worker hands back to another, and hands it no more', async () => {
    const { dealer, open } = await start();
    const draining = new FakeSeat(1);
    const serving = new FakeSeat(2);
    dealer.seat(draining);
    dealer.seat(serving);
    await open();
    await waitUntil('the connection handed', () => draining.given.length === 1);
    dealer.unseat(draining, false);
    dealer.answered(draining, draining.given[0]!.id, false);
    assert.equal(serving.given.length, 1);
    dealer.answered(serving, serving.given[0]!.id, true);
    await open();
    await waitUntil('the next connection handed', () => serving.given.length === 2);
    assert.equal(draining.given.length, 1);
  });

  it('gives a connection that could not be sent to another worker', async () => {
    const { dealer, open } = await start();
    const broken = new FakeSeat(1);
    const fine = new FakeSeat(2);
    broken.failNext = true;
    dealer.seat(broken);
    dealer.seat(fine);
    await open();
    await waitUntil('the connection handed to the other worker', () => fine.given.length === 1);
    assert.equal(broken.given.length, 0);
  });

  it('when it closes: stops listening, and closes unread the connections waiting for a worker', async () => {
    const { dealer, open, dropped } = await start();
    const waiting = await open();
    await sleep(30);
    dealer.close();
    await once(waiting, 'close');
    assert.deepEqual(dropped, []);
    await assert.rejects(open(), /ECONNREFUSED/);
  });
});
