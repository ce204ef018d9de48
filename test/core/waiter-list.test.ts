import { strict as assert } from 'node:assert';
import { WaiterList } from '../../lib/waiter-list.js';

describe('WaiterList', () => {
  it('calls every waiter once, in the order they were added, with the reason', () => {
    const list = new WaiterList();
    const called: string[] = [];
    for (const name of ['a', 'b', 'c']) list.add((reason) => void called.push(`${name}:${String(reason)}`));
    assert.equal(list.size, 3);
    list.fire('gone');
    assert.deepEqual(called, ['a:gone', 'b:gone', 'c:gone']);
    assert.equal(list.size, 0);
    list.fire('again');
    assert.equal(called.length, 3, 'a fired list is empty');
  });

  it('removes a cancelled waiter from the first, middle and last place, and ignores a second cancel', () => {
    const list = new WaiterList();
    const called: number[] = [];
    const waiting = [0, 1, 2, 3, 4].map((index) => list.add(() => void called.push(index)));
    for (const index of [0, 2, 4, 2]) waiting[index]?.cancel();
    assert.equal(list.size, 2);
    list.fire(undefined);
    assert.deepEqual(called, [1, 3]);
    const after = list.add(() => void called.push(5));
    assert.equal(list.size, 1, 'the list still links after removals at both ends');
    after.cancel();
    list.fire(undefined);
    assert.deepEqual(called, [1, 3]);
  });

  it('ignores a cancel after the fire, and the removal of a waiter of another list', () => {
    const list = new WaiterList();
    const other = new WaiterList();
    const fired = list.add(() => {});
    list.fire('x');
    fired.cancel();
    const elsewhere = other.add(() => {});
    list.add(() => {});
    list.remove(elsewhere);
    assert.equal(list.size, 1);
    assert.equal(other.size, 1);
  });

  it('keeps a waiter added while it fires for the next time', () => {
    const list = new WaiterList();
    const called: string[] = [];
    list.add(() => {
      called.push('first');
      list.add(() => void called.push('added during the fire'));
    });
    list.fire(undefined);
    assert.deepEqual(called, ['first']);
    assert.equal(list.size, 1);
    list.fire(undefined);
    assert.deepEqual(called, ['first', 'added during the fire']);
  });
});
