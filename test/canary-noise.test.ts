/**
 * End to end through the CLI on the real broker: with `analysis.noiseReplica`, the
 * fork starts a second copy of v1 from the same savepoint, writing its own topic;
 * the live report carries it as the noise side; the candidate still passes; and an
 * abort stops the replica along with the candidate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canaryHarness } from './canary-harness.ts';
import { waitFor } from './support/kafka.ts';

test('noise replica: forked beside the candidate, read as the noise side, stopped by abort', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'noise');
  const noiseTopic = h.k.trackTopic(`${h.canary}.noise`);
  const noiseJob = `${h.name}.noise`;
  h.startTraffic(1000);
  await h.launch(4);
  const spec = h.spec();
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('\nanalysis:\n', '\nanalysis:\n  noiseReplica: true\n'));

  const start = await h.cli(['canary', 'start', spec, '--json']);
  assert.equal(start.code, 0, start.err);
  assert.equal((JSON.parse(start.out) as { phase: string }).phase, 'Shadowing');
  assert.ok((await h.k.kafka.listTopics()).includes(noiseTopic), 'canary start created the noise topic');

  const s = await h.status();
  const replica = s.jobs.find((j) => j.jobId === noiseJob) as { state: string; sinkTopic: string } | undefined;
  assert.equal(replica?.state, 'running', 'canary status lists the replica');
  assert.equal(replica?.sinkTopic, noiseTopic, 'it writes its own topic, not the authoritative one');
  const text = await h.cli(['canary', 'status', h.name]);
  assert.match(text.out, new RegExp(`noise replica .*${noiseTopic.replace(/[.]/g, '\\.')}`));

  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s']);
  assert.equal(gate.code, 0, `gate: ${gate.out} ${gate.err}`);

  // The report's noise side is the replica's output, read beside a and b.
  const report = await waitFor(() => {
    const r = JSON.parse(readFileSync(join(h.dir, 'state', 'deployments', h.name, 'report.json'), 'utf8')) as { sides: { a: { records: number }; noise?: { records: number; topic?: string } } };
    return (r.sides.noise?.records ?? 0) > 0 ? r : undefined;
  }, { timeoutMs: 30_000, message: 'the report has a noise side with records' });
  assert.ok(report.sides.noise!.records > 0);
  const highs = await h.highs(noiseTopic);
  assert.ok(highs.some((p) => p.offset > 0), 'the replica wrote to the noise topic');

  const abort = await h.cli(['canary', 'abort', h.name, '--reason', 'noise test done', '--json']);
  assert.equal(abort.code, 0, abort.err);
  const after = await waitFor(async () => {
    const x = await h.status();
    return x.deployment.phase === 'Aborted' && x.deployment.pending.length === 0 ? x : undefined;
  }, { timeoutMs: 30_000 });
  const states = new Map(after.jobs.map((j) => [j.jobId, j.state]));
  assert.equal(states.get(noiseJob), 'cancelled', 'abort stopped the replica');
  assert.equal(states.get(`${h.name}.candidate`), 'finished', 'the candidate stopped with its debug savepoint');
  assert.equal(states.get(h.name), 'running', 'the authoritative job was not touched');
});
