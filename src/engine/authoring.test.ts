import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as pitlane from './authoring.ts';

test("the package exports the authoring API alone: what a job or a check is written with, and runBounded for its tests", () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
  assert.deepEqual(Object.keys(pkg.exports), ['.', './package.json']);
  assert.deepEqual(Object.keys(pitlane).sort(), ['DEAD_LETTER_HEADERS', 'LINEAGE_HEADERS', 'avroCodec', 'defineCheck', 'defineJob', 'jsonCodec', 'listState', 'mapState', 'outputTag', 'reducingState', 'runBounded', 'session', 'sliding', 'tumbling', 'valueState']);
});

test('runBounded runs a job over its items to the end, windows fired by the final watermark', async () => {
  const out: { key: string; value: number }[] = [];
  const items = [
    { k: 'a', ts: 100 },
    { k: 'a', ts: 200 },
    { k: 'b', ts: 1500 },
  ];
  await pitlane.runBounded(
    pitlane.defineJob({
      name: 'bounded',
      version: '1',
      maxParallelism: 8,
      build(env) {
        env
          .fromItems({ uid: 'in', items, timestamp: (e) => e.ts })
          .keyBy((e) => e.k)
          .window(pitlane.tumbling(1000))
          .aggregate('count', { createAccumulator: () => 0, add: (_e, acc: number) => acc + 1, getResult: (acc: number) => acc })
          .toCallback({ uid: 'out', fn: (r) => void out.push({ key: String(r.key), value: r.value }) });
      },
    }),
    { parallelism: 2 },
  );
  assert.deepEqual(out.sort((x, y) => x.key.localeCompare(y.key)), [
    { key: 'a', value: 2 },
    { key: 'b', value: 1 },
  ]);
});
