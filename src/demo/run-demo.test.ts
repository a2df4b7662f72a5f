import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoOptions } from './run-demo.ts';
import { demoNames } from './flink-demo.ts';

test('the demo runs on the embedded engine unless --engine flink; existing services only with Flink, both named', () => {
  assert.deepEqual(demoOptions([]), { buggy: false, engine: 'embedded' });
  assert.deepEqual(demoOptions(['--engine', 'flink', '--buggy']), { buggy: true, engine: 'flink' });
  assert.deepEqual(demoOptions(['--engine', 'flink', '--brokers', '127.0.0.1:1', '--flink-rest', 'http://127.0.0.1:2']), { buggy: false, engine: 'flink', existing: { brokers: '127.0.0.1:1', flinkRest: 'http://127.0.0.1:2' } });
  assert.throws(() => demoOptions(['--engine', 'spark']), /--engine spark: the demo runs on "embedded" \(the default\) or "flink"/);
  assert.throws(() => demoOptions(['--engine', 'flink', '--brokers', '127.0.0.1:1']), /--brokers and --flink-rest go together/);
  assert.throws(() => demoOptions(['--brokers', '127.0.0.1:1', '--flink-rest', 'http://127.0.0.1:2']), /with --engine flink/);
  assert.throws(() => demoOptions(['--bugy']), /Unknown option '--bugy'/);
});

test('on shared services every name of the demo carries its suffix', () => {
  const n = demoNames('-demo-x');
  for (const v of Object.values(n)) assert.match(v, /-demo-x$/);
  assert.equal(new Set(Object.values(demoNames())).size, Object.keys(n).length - 1, 'v1 is the deployment\'s job id; every other name differs');
});
