/**
 * The rewrite logic of the outage-tolerant transactional producer, over a
 * scripted stand-in for the kafkajs producer (the broker-level behaviour is in
 * test/kafka-outage.test.ts and test/canary-broker-restart.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Producer } from 'kafkajs';
import { silentLogger } from '../logger.ts';
import { KafkaError } from '../errors.ts';
import { openRecoverableProducer } from './kafkajs-transactions.ts';

const coordinatorGone = () => Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSNonRetriableError' });
const fenced = () => Object.assign(new Error('fenced'), { name: 'KafkaJSProtocolError', type: 'PRODUCER_FENCED' });

/** Producers that fail where the script says, and a log of what each did. */
function script(fail: { sendOf?: number; commitOf?: number; error?: () => Error }) {
  const log: string[] = [];
  let made = 0;
  const create = (): Producer => {
    const id = made++;
    return {
      connect: async () => undefined,
      disconnect: async () => void log.push(`p${id}:disconnect`),
      transaction: async () => ({
        send: async ({ messages }: { messages: { key: string }[] }) => {
          if (fail.sendOf === id) throw (fail.error ?? coordinatorGone)();
          log.push(`p${id}:send ${messages.map((m) => m.key).join(',')}`);
          return [{ topicName: 't', partition: 0, baseOffset: '7', errorCode: 0 }];
        },
        sendOffsets: async () => undefined,
        commit: async () => {
          if (fail.commitOf === id) throw (fail.error ?? coordinatorGone)();
          log.push(`p${id}:commit`);
        },
        abort: async () => void log.push(`p${id}:abort`),
      }),
    } as unknown as Producer;
  };
  return { log, create };
}

async function run(fail: Parameters<typeof script>[0], committed: boolean) {
  const s = script(fail);
  const probes: string[] = [];
  const handle = await openRecoverableProducer({
    create: s.create,
    toMessage: (r) => ({ key: r.key ?? null, value: r.value }),
    sendPlain: async () => [],
    toleranceMs: 5_000,
    fail: (e, action) => new KafkaError('KAFKA_ERROR', `${action}: ${String(e)}`),
    committed: async (m) => {
      probes.push(`${m.topic}/${m.partition}@${m.offset}`);
      return committed;
    },
    logger: silentLogger(),
    onClose: () => undefined,
  });
  const tx = await handle.transaction();
  await tx.send('t', [{ key: 'a', value: '1' }]);
  await tx.send('t', [{ key: 'b', value: '2' }]);
  await tx.commit();
  return { log: s.log.filter((l) => !l.endsWith('disconnect')), probes };
}

test('an outage-interrupted transaction: rewritten unless it committed, probed only after a commit', async (t) => {
  const cases: [string, Parameters<typeof script>[0], boolean, string[], string[]][] = [
    ['no outage', {}, false, ['p0:send a', 'p0:send b', 'p0:commit'], []],
    ['a send fails: the whole transaction is rewritten on a new producer', { sendOf: 0 }, false, ['p1:send a', 'p1:send b', 'p1:commit'], []],
    ['the commit fails and had not committed: rewritten and committed', { commitOf: 0 }, false, ['p0:send a', 'p0:send b', 'p1:send a', 'p1:send b', 'p1:commit'], ['t/0@7']],
    ['the commit fails but had committed: nothing is written again', { commitOf: 0 }, true, ['p0:send a', 'p0:send b'], ['t/0@7']],
  ];
  for (const [label, fail, committed, want, probes] of cases) {
    await t.test(label, async () => {
      const r = await run(fail, committed);
      assert.deepEqual(r.log, want);
      assert.deepEqual(r.probes, probes);
    });
  }
});

test('fencing is never rewritten over: it fails as it is', async () => {
  await assert.rejects(run({ commitOf: 0, error: fenced }, false), (e: unknown) => e instanceof KafkaError && /commit a transaction/.test(e.message));
});
