import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLINK_ENTRY_CLASSES, FLINK_JOBS_SOURCE, FLINK_JOB_JARS, flinkSourceFiles, flinkSourcesHash } from './flink-jobs-build.ts';

test('the jobs hash covers sources and poms, not build output: it changes only when they do', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-flinkhash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'a', 'src'), { recursive: true });
  writeFileSync(join(dir, 'pom.xml'), '<project/>');
  writeFileSync(join(dir, 'a', 'src', 'A.java'), 'class A {}');
  const h0 = flinkSourcesHash(dir);
  mkdirSync(join(dir, 'a', 'target'), { recursive: true });
  writeFileSync(join(dir, 'a', 'target', 'a.jar'), 'built');
  mkdirSync(join(dir, '.idea'));
  writeFileSync(join(dir, '.idea', 'x'), 'editor');
  assert.equal(flinkSourcesHash(dir), h0, 'build output and hidden dirs do not count');
  assert.deepEqual(flinkSourceFiles(dir), ['a/src/A.java', 'pom.xml']);
  writeFileSync(join(dir, 'a', 'src', 'A.java'), 'class A { int x; }');
  assert.notEqual(flinkSourcesHash(dir), h0, 'a source change does');
});

test('the project\'s flink/ module: a pom per job jar, every entry class in a known jar', () => {
  const files = flinkSourceFiles(FLINK_JOBS_SOURCE);
  assert.ok(files.includes('pom.xml'));
  for (const rel of Object.values(FLINK_JOB_JARS)) assert.ok(files.includes(`${rel.split('/')[0]}/pom.xml`), rel);
  for (const { jar, entryClass } of Object.values(FLINK_ENTRY_CLASSES)) {
    const src = `${jar}/src/main/java/${entryClass.replaceAll('.', '/')}.java`;
    assert.ok(files.includes(src), src);
  }
});
