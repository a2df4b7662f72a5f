import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerQueue } from './timers.ts';

test('timers fire in timestamp order, ties in registration order', async (t) => {
  const cases: { name: string; add: [string, number, string?][]; del?: [string, number, string?][]; upTo: number; want: string[] }[] = [
    { name: 'ordered by time', add: [['a', 30], ['b', 10], ['c', 20]], upTo: 100, want: ['b@10', 'c@20', 'a@30'] },
    { name: 'only due timers', add: [['a', 30], ['b', 10], ['c', 20]], upTo: 20, want: ['b@10', 'c@20'] },
    { name: 'ties keep registration order', add: [['z', 5], ['a', 5], ['m', 5]], upTo: 5, want: ['z@5', 'a@5', 'm@5'] },
    { name: 'duplicates are one timer', add: [['a', 5], ['a', 5], ['a', 5, 'w1']], upTo: 5, want: ['a@5', 'a@5/w1'] },
    { name: 'deleted timers never fire', add: [['a', 5], ['b', 6]], del: [['a', 5]], upTo: 10, want: ['b@6'] },
    { name: 'nothing due', add: [['a', 50]], upTo: 49, want: [] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const q = new TimerQueue();
      for (const [k, ts, ns] of c.add) q.add(k, 0, ts, ns);
      for (const [k, ts, ns] of c.del ?? []) q.delete(k, ts, ns);
      const got: string[] = [];
      for (let x = q.pollUpTo(c.upTo); x; x = q.pollUpTo(c.upTo)) got.push(`${x.keyString}@${x.timestamp}${x.namespace ? `/${x.namespace}` : ''}`);
      assert.deepEqual(got, c.want);
    });
  }
});

test('a large random set pops sorted, and re-adding a deleted timer revives it', () => {
  const q = new TimerQueue();
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let i = 0; i < 2000; i++) q.add(`k${i}`, 0, rnd() % 500);
  let last = -1;
  let n = 0;
  for (let x = q.pollUpTo(Infinity); x; x = q.pollUpTo(Infinity)) {
    assert.ok(x.timestamp >= last);
    last = x.timestamp;
    n++;
  }
  assert.equal(n, 2000);
  q.add('a', 0, 1);
  q.delete('a', 1);
  q.add('a', 0, 1);
  assert.equal(q.pollUpTo(1)?.keyString, 'a');
  assert.equal(q.pollUpTo(1), undefined);
});
