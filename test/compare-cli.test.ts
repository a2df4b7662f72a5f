import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTest } from './support/kafka.ts';
import { pitlaneCli as cli } from './support/cli.ts';
import { INJECTIONS, TEST_CONFIG, authoritativeRows, writeRows } from './compare-support.ts';

test('pitlane compare: exit 0 pass, 1 fail, 2 inconclusive, 3 error; reports written', async (t) => {
  const k = kafkaForTest(t);
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-compare-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const checks = join(dir, 'checks.yaml');
  await writeFile(checks, JSON.stringify(TEST_CONFIG));
  const rows = authoritativeRows();
  const [a, same, shifted, emptyA, emptyB] = [await k.topic('cli-a'), await k.topic('cli-same'), await k.topic('cli-shifted'), await k.topic('cli-ea'), await k.topic('cli-eb')];
  await writeRows(k.kafka, a!, rows);
  await writeRows(k.kafka, same!, rows);
  await writeRows(k.kafka, shifted!, INJECTIONS.find((i) => i.name === 'shifted values')!.mutate(rows));

  const pass = await cli(['compare', '--a', a!, '--b', same!, '--checks', checks, '--report-dir', join(dir, 'pass')]);
  assert.equal(pass.code, 0, pass.stderr + pass.stdout);
  assert.match(pass.stdout, /verdict: PASS/);
  const json = JSON.parse(await readFile(join(dir, 'pass', 'report.json'), 'utf8')) as { schema: string; verdict: string; windows: unknown[] };
  assert.equal(json.schema, 'pitlane.compare.report/v1');
  assert.equal(json.verdict, 'Successful');
  assert.equal(json.windows.length, 6);
  assert.match(await readFile(join(dir, 'pass', 'report.html'), 'utf8'), /<svg class="chart"/);

  const fail = await cli(['compare', '--a', a!, '--b', shifted!, '--checks', checks, '--json']);
  assert.equal(fail.code, 1, fail.stderr);
  const failed = JSON.parse(fail.stdout) as { verdict: string; assessment: { checks: { type: string; status: string }[] } };
  assert.equal(failed.verdict, 'Failed');
  assert.deepEqual(failed.assessment.checks.filter((c) => c.status === 'Failed').map((c) => c.type), ['aggregate']);

  const inconclusive = await cli(['compare', '--a', emptyA!, '--b', emptyB!, '--checks', checks]);
  assert.equal(inconclusive.code, 2, inconclusive.stderr);

  const missing = await cli(['compare', '--a', a!, '--b', `${a}-nope`, '--checks', checks]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /COMPARE_TOPIC_NOT_FOUND.*does not exist/);

  await writeFile(join(dir, 'bad.yaml'), 'checks:\n  - type: counts\n');
  const badConfig = await cli(['compare', '--a', a!, '--b', same!, '--checks', join(dir, 'bad.yaml')]);
  assert.equal(badConfig.code, 3);
  assert.match(badConfig.stderr, /unknown type "counts"[\s\S]*count, schema, null-rate, key-coverage, aggregate, lateness/);
});
