/**
 * Binary framing of key-group blocks in format v1 data files. Pure: bytes in, bytes out.
 *
 *   file   := "PLKG" u32(version = 1) block*
 *   block  := u32 keyGroup  u32 entryCount  u32 timerCount  entry*  timer*
 *   entry  := u16 stateIndex  u8 flags(bit0: has mapKey)  u32 keyLen key
 *             [u32 mapKeyLen mapKey]  u32 valueLen value
 *   timer  := u32 keyLen key  f64 timestamp  u8 domain(0 event, 1 processing)
 *             u8 flags(bit0: has namespace)  [u32 nsLen namespace]
 *
 * Integers are big-endian. `stateIndex` points into the operator's `states` list in
 * `_metadata`, so state names are not repeated per entry. Blocks are written in
 * key-group order and the metadata indexes each block's offset and length, so a
 * rescaled restore reads exactly the blocks a new subtask owns.
 */
import { SavepointFormatError } from '../../errors.ts';
import type { KeyGroupBlock, StateEntry, TimerEntry } from '../snapshot/model.ts';
import type { BlockIndexEntry } from './metadata.ts';

export const DATA_FILE_MAGIC = Buffer.from('PLKG', 'latin1');
export const DATA_FILE_HEADER_SIZE = 8;

function entrySize(e: StateEntry): number {
  return 2 + 1 + 4 + e.key.length + (e.mapKey ? 4 + e.mapKey.length : 0) + 4 + e.value.length;
}

function timerSize(t: TimerEntry): number {
  return 4 + t.key.length + 8 + 1 + 1 + (t.namespace ? 4 + t.namespace.length : 0);
}

/**
 * Encodes blocks (sorted by key group by the caller) into one data file.
 * `stateIndex` maps a state name to its index in the operator's descriptors.
 */
export function encodeDataFile(blocks: readonly KeyGroupBlock[], stateIndex: ReadonlyMap<string, number>, version: number): { bytes: Buffer; index: BlockIndexEntry[] } {
  let size = DATA_FILE_HEADER_SIZE;
  for (const b of blocks) {
    size += 12;
    for (const e of b.entries) size += entrySize(e);
    for (const t of b.timers) size += timerSize(t);
  }
  const buf = Buffer.allocUnsafe(size);
  DATA_FILE_MAGIC.copy(buf, 0);
  buf.writeUInt32BE(version, 4);
  let o = DATA_FILE_HEADER_SIZE;
  const index: BlockIndexEntry[] = [];
  for (const b of blocks) {
    const start = o;
    buf.writeUInt32BE(b.keyGroup, o);
    buf.writeUInt32BE(b.entries.length, o + 4);
    buf.writeUInt32BE(b.timers.length, o + 8);
    o += 12;
    for (const e of b.entries) {
      const si = stateIndex.get(e.state);
      if (si === undefined) {
        throw new SavepointFormatError('SAVEPOINT_UNDECLARED_STATE', `Key group ${b.keyGroup} holds an entry of state "${e.state}", which the operator does not declare.`, {
          hint: 'The snapshot is inconsistent with its descriptors: this is a bug in the engine that produced it.',
        });
      }
      buf[o] = si >>> 8;
      buf[o + 1] = si & 0xff;
      buf[o + 2] = e.mapKey ? 1 : 0;
      o += 3;
      o = putBytes(buf, o, e.key);
      if (e.mapKey) o = putBytes(buf, o, e.mapKey);
      o = putBytes(buf, o, e.value);
    }
    for (const t of b.timers) {
      o = putBytes(buf, o, t.key);
      buf.writeDoubleBE(t.timestamp, o);
      buf[o + 8] = t.domain === 'event' ? 0 : 1;
      buf[o + 9] = t.namespace ? 1 : 0;
      o += 10;
      if (t.namespace) o = putBytes(buf, o, t.namespace);
    }
    index.push({ keyGroup: b.keyGroup, offset: start, length: o - start, entries: b.entries.length, timers: b.timers.length });
  }
  return { bytes: buf, index };
}

// Hand-rolled big-endian length + Uint8Array.set: for the many small keys and values
// of a large state this is several times faster than writeUInt32BE + Buffer.copy.
function putBytes(buf: Buffer, o: number, bytes: Buffer): number {
  const n = bytes.length;
  buf[o] = n >>> 24;
  buf[o + 1] = (n >>> 16) & 0xff;
  buf[o + 2] = (n >>> 8) & 0xff;
  buf[o + 3] = n & 0xff;
  buf.set(bytes, o + 4);
  return o + 4 + n;
}

/** Where a decode error points, for the message. */
export interface FramingContext {
  readonly path: string;
  readonly uid: string;
}

/** Checks the data file header (magic and version). */
export function checkDataFileHeader(file: Buffer, version: number, ctx: FramingContext): void {
  if (file.length < DATA_FILE_HEADER_SIZE || !file.subarray(0, 4).equals(DATA_FILE_MAGIC) || file.readUInt32BE(4) !== version) {
    throw corrupt(ctx, 'its header is not a format v' + version + ' data file header');
  }
}

/**
 * Decodes one block at `entry.offset`. Keys and values are views into `file`
 * (no copy): the caller keeps `file` alive as long as it uses them.
 */
export function decodeBlock(file: Buffer, entry: BlockIndexEntry, stateNames: readonly string[], ctx: FramingContext): KeyGroupBlock {
  const end = entry.offset + entry.length;
  if (end > file.length) throw corrupt(ctx, `block of key group ${entry.keyGroup} runs past the end of the file`);
  let o = entry.offset;
  const need = (n: number): void => {
    if (o + n > end) throw corrupt(ctx, `block of key group ${entry.keyGroup} is shorter than its contents`);
  };
  const bytes = (): Buffer => {
    need(4);
    const len = ((file[o]! << 24) | (file[o + 1]! << 16) | (file[o + 2]! << 8) | file[o + 3]!) >>> 0;
    need(4 + len);
    const b = file.subarray(o + 4, o + 4 + len);
    o += 4 + len;
    return b;
  };
  need(12);
  const keyGroup = file.readUInt32BE(o);
  const entryCount = file.readUInt32BE(o + 4);
  const timerCount = file.readUInt32BE(o + 8);
  o += 12;
  if (keyGroup !== entry.keyGroup || entryCount !== entry.entries || timerCount !== entry.timers) {
    throw corrupt(ctx, `block at offset ${entry.offset} does not match the metadata index (key group ${keyGroup}, expected ${entry.keyGroup})`);
  }
  const entries: StateEntry[] = new Array<StateEntry>(entryCount);
  for (let i = 0; i < entryCount; i++) {
    need(3);
    const si = (file[o]! << 8) | file[o + 1]!;
    const flags = file[o + 2]!;
    o += 3;
    const state = stateNames[si];
    if (state === undefined) throw corrupt(ctx, `entry names state index ${si}, but the operator has ${stateNames.length} states`);
    const key = bytes();
    const mapKey = flags & 1 ? bytes() : undefined;
    const value = bytes();
    entries[i] = mapKey ? { state, key, mapKey, value } : { state, key, value };
  }
  const timers: TimerEntry[] = new Array<TimerEntry>(timerCount);
  for (let i = 0; i < timerCount; i++) {
    const key = bytes();
    need(10);
    const timestamp = file.readDoubleBE(o);
    const domain = file[o + 8] === 0 ? 'event' : 'processing';
    const flags = file[o + 9]!;
    o += 10;
    const namespace = flags & 1 ? bytes() : undefined;
    timers[i] = namespace ? { key, timestamp, domain, namespace } : { key, timestamp, domain };
  }
  if (o !== end) throw corrupt(ctx, `block of key group ${entry.keyGroup} has ${end - o} unexplained trailing bytes`);
  return { keyGroup, entries, timers };
}

function corrupt(ctx: FramingContext, what: string): SavepointFormatError {
  return new SavepointFormatError('SAVEPOINT_CORRUPT_DATA', `Data file ${ctx.path} of operator "${ctx.uid}" is corrupt: ${what}.`, {
    hint: 'The savepoint was damaged after it was written (its checksum would say so too). Restore from another savepoint or checkpoint.',
    data: { path: ctx.path, uid: ctx.uid },
  });
}
