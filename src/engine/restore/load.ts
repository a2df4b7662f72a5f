/**
 * Executes the I/O half of a restore: reads the data files a plan names (each file
 * once, size and sha256 checked) and hands every new subtask exactly the key-group
 * blocks of its range. Rescaling is re-assigning whole blocks — no rehash.
 */
import { resolve } from 'node:path';
import { RestoreIncompatibleError } from '../../errors.ts';
import type { KeyGroupBlock } from '../snapshot/model.ts';
import type { BlockIndexEntry } from '../savepoint/metadata.ts';
import { codecs, type SavepointCodec } from '../savepoint/codecs.ts';
import type { SavepointMetadata } from '../savepoint/metadata.ts';
import { readChecksummedFile } from '../savepoint/read.ts';
import type { RestorePlan } from './plan-types.ts';

export interface RestoredOperator {
  readonly uid: string;
  /** Index = new subtask; each holds the blocks of that subtask's key-group range. */
  readonly subtasks: readonly (readonly KeyGroupBlock[])[];
  readonly operatorState?: Buffer;
}

/**
 * A block decoded when it is used, not when the file is read: a restore walks the
 * blocks once, so each block's entries are garbage as soon as they are applied,
 * instead of all of a large state's entries (millions of small objects) living
 * through the whole restore and being copied by every garbage collection. The
 * bytes are checked (size, sha256, header) before any block is handed out; a
 * framing error surfaces when the block is read, as the same SavepointFormatError.
 * Reading `timers` after `entries` (the order a restore uses) decodes once.
 */
function lazyBlock(codec: SavepointCodec, bytes: Buffer, index: BlockIndexEntry, stateNames: readonly string[], ctx: { path: string; uid: string }): KeyGroupBlock {
  let decoded: KeyGroupBlock | undefined;
  const decode = () => (decoded ??= codec.decodeBlock(bytes, index, stateNames, ctx));
  return {
    keyGroup: index.keyGroup,
    get entries() {
      return decode().entries;
    },
    get timers() {
      const { timers } = decode();
      decoded = undefined; // both read: let the entries go
      return timers;
    },
  };
}

/** Reads the state a compatible plan assigns. Refuses an incompatible plan (check `plan.compatible` first). */
export async function loadRestoredState(dir: string, meta: SavepointMetadata, plan: RestorePlan, options: { verify?: boolean } = {}): Promise<Map<string, RestoredOperator>> {
  if (!plan.compatible) {
    const first = plan.problems[0];
    throw new RestoreIncompatibleError('RESTORE_INCOMPATIBLE', `The savepoint cannot be restored into job "${plan.job.name}": ${plan.problems.length} problem(s)${first ? `, first: ${first.message}` : ''}.`, {
      hint: first?.fix ?? 'Run `pitlane savepoint check` to see every problem.',
      data: { problems: plan.problems },
    });
  }
  const root = resolve(dir);
  const verify = options.verify ?? true;
  const codec = codecs.get(meta.formatVersion);
  const out = new Map<string, RestoredOperator>();
  for (const a of plan.assignments) {
    const op = meta.operators.find((o) => o.uid === a.uid);
    if (!op) throw new RestoreIncompatibleError('RESTORE_PLAN_MISMATCH', `The restore plan names operator "${a.uid}", which the savepoint at ${root} does not have.`, { hint: 'Plan and load against the same savepoint metadata.' });
    const stateNames = op.states.map((s) => s.name);
    const files = new Map<string, Buffer>();
    const subtasks: KeyGroupBlock[][] = [];
    for (const st of a.subtasks) {
      const blocks: KeyGroupBlock[] = [];
      for (const read of st.reads) {
        const ref = op.files.find((f) => f.path === read.path);
        if (!ref) throw new RestoreIncompatibleError('RESTORE_PLAN_MISMATCH', `The restore plan names ${read.path}, which operator "${a.uid}" does not have.`, { hint: 'Plan and load against the same savepoint metadata.' });
        let bytes = files.get(read.path);
        if (!bytes) {
          bytes = await readChecksummedFile(root, op.uid, ref, verify);
          codec.checkDataFileHeader(bytes, { path: ref.path, uid: op.uid });
          files.set(read.path, bytes);
        }
        for (const b of read.blocks) blocks.push(lazyBlock(codec, bytes, b, stateNames, { path: ref.path, uid: op.uid }));
      }
      subtasks.push(blocks);
    }
    const operatorState = op.operatorState ? await readChecksummedFile(root, op.uid, op.operatorState, verify) : undefined;
    out.set(a.uid, { uid: a.uid, subtasks, ...(operatorState ? { operatorState } : {}) });
  }
  return out;
}
