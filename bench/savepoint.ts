// Savepoint benchmark (npm run bench:savepoint): a 1,000,000-key state (one small
// Avro record per key), written as a savepoint and restored at the same parallelism
// and rescaled 4→8. Target: each ≤ 2 s. The limit beside them is this file system's
// sequential write speed, measured in the same run by writing and fsyncing a file
// of the same size.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { loadRestoredState, planRestore, profileState, readSavepointMetadata, syntheticSnapshot, writeSavepoint, type JobDescription } from '../src/engine/index.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const TARGET_S = 2;
const MB = 1024 * 1024;

const job: JobDescription = {
  name: 'synthetic',
  version: 'v2',
  maxParallelism: 128,
  inputTopics: ['events'],
  operators: [
    { uid: 'source', name: 'source(events)', kind: 'source', states: [] },
    { uid: 'profiles', name: 'process(profiles)', kind: 'process', keyFingerprint: 'string:userId', states: [profileState] },
  ],
};

async function fsWriteSpeed(path: string, bytes: number): Promise<number> {
  const buf = randomBytes(bytes);
  const t0 = performance.now();
  const fh = await open(path, 'wx');
  await fh.writeFile(buf);
  await fh.sync();
  await fh.close();
  return (performance.now() - t0) / 1000;
}

async function restore(dir: string, parallelism: number): Promise<{ seconds: number; keys: number }> {
  const t0 = performance.now();
  const meta = await readSavepointMetadata(dir);
  const plan = planRestore(meta, job, { parallelism });
  if (!plan.compatible) throw new Error(JSON.stringify(plan.problems));
  const state = await loadRestoredState(dir, meta, plan);
  const op = state.get('profiles')!;
  if (op.subtasks.length !== parallelism) throw new Error('wrong subtask count');
  // Inside the timing: a block is decoded when its entries and timers are first read
  // (restore/load.ts), as the engine's restore reads them.
  let keys = 0;
  let timers = 0;
  for (const blocks of op.subtasks) {
    for (const b of blocks) {
      keys += b.entries.length;
      timers += b.timers.length;
    }
  }
  if (timers === 0) throw new Error('no timers restored');
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, keys };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'pitlane-bench-sp-'));
  try {
    const snap = syntheticSnapshot({ keys: KEYS, parallelism: 4, timerEvery: 10 });
    const t0 = performance.now();
    const written = await writeSavepoint(join(root, 'sp'), snap);
    const writeS = (performance.now() - t0) / 1000;
    const mb = written.bytes / MB;
    const fsS = await fsWriteSpeed(join(root, 'fs-probe.bin'), written.bytes);
    const same = await restore(join(root, 'sp'), 4);
    const rescaled = await restore(join(root, 'sp'), 8);
    if (same.keys !== KEYS || rescaled.keys !== KEYS) throw new Error(`restored ${same.keys}/${rescaled.keys} of ${KEYS} keys`);

    const fsMBs = mb / fsS;
    const writeMBs = mb / writeS;
    const ok = (s: number): string => (s <= TARGET_S ? 'ok' : 'OVER TARGET');
    console.log(`state: ${KEYS} keys, savepoint ${mb.toFixed(1)} MB in ${written.metadata.operators[1]!.files.length} data files`);
    console.log(`savepoint write         ${writeS.toFixed(3)} s  ${writeMBs.toFixed(0)} MB/s   (target ≤ ${TARGET_S} s: ${ok(writeS)})`);
    console.log(`  file system limit     ${fsS.toFixed(3)} s  ${fsMBs.toFixed(0)} MB/s   (write+fsync of ${mb.toFixed(1)} MB, same run)`);
    console.log(`restore, parallelism 4  ${same.seconds.toFixed(3)} s   (target ≤ ${TARGET_S} s: ${ok(same.seconds)})`);
    console.log(`restore, rescaled 4→8   ${rescaled.seconds.toFixed(3)} s   (target ≤ ${TARGET_S} s: ${ok(rescaled.seconds)})`);
    console.log(
      JSON.stringify({
        bench: 'savepoint',
        figures: { keys: KEYS, megabytes: +mb.toFixed(1), writeSeconds: +writeS.toFixed(3), writeMBps: +writeMBs.toFixed(0), restoreSeconds: +same.seconds.toFixed(3), restoreRescaledSeconds: +rescaled.seconds.toFixed(3) },
        peer: { fsWriteMBps: +fsMBs.toFixed(0), fsWriteSeconds: +fsS.toFixed(3), targetSeconds: TARGET_S },
        ratio: { writeVsFs: +(writeMBs / fsMBs).toFixed(2), writeVsTarget: +(writeS / TARGET_S).toFixed(2), restoreVsTarget: +(same.seconds / TARGET_S).toFixed(2), rescaledVsTarget: +(rescaled.seconds / TARGET_S).toFixed(2) },
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
