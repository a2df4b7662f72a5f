// A state value changed in place after it was written (so no write check saw it)
// fails the snapshot with an error naming operator, state, key and field, not as an
// internal error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../logger.ts';
import { isPitlaneError } from '../../errors.ts';
import { avroCodec, defineJob, startJob, valueState } from '../index.ts';

interface Profile {
  count: number;
  total: number;
}
const profileCodec = avroCodec<Profile>({ type: 'record', name: 'Profile', fields: [{ name: 'count', type: 'int' }, { name: 'total', type: 'double' }] });
const deps = { logger: silentLogger() };
const txs = [{ u: 'u1', ts: 1, amount: 10 }, { u: 'u1', ts: 2, amount: 'abc' as unknown as number }, { u: 'u1', ts: 3, amount: 20 }, { u: 'u2', ts: 4, amount: 5 }];

test('a value changed in place without a write fails the snapshot with an error naming operator, state, key and field', async () => {
  const profile = valueState<Profile>('profile', { codec: profileCodec });
  const job = defineJob({
    name: 'inplace',
    version: '1',
    maxParallelism: 8,
    build: (env) =>
      env
        .fromItems({ uid: 'in', items: txs, timestamp: (t) => t.ts })
        .keyBy((t) => t.u)
        .process('profile', {
          states: [profile],
          processElement(t, ctx) {
            const s = ctx.state.value(profile);
            const p = s.value();
            if (p) p.total += t.amount; // no update(): nothing checks this write
            else s.update({ count: 1, total: t.amount });
          },
        }),
  });
  const running = await startJob(job, deps);
  await running.finished;
  await assert.rejects(running.snapshot('savepoint'), (e: unknown) => {
    assert.ok(isPitlaneError(e));
    assert.equal(e.code, 'STATE_SNAPSHOT_UNENCODABLE');
    assert.match(e.message, /process\(profile\): state "profile" of key "u1" cannot be written to a snapshot: field "total" must be double, not "10abc20"/);
    assert.match(e.hint!, /update\(\)/);
    return true;
  });
});
