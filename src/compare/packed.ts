import { isAscii } from 'node:buffer';
import type { PackedBatch } from '../kafka/packed.ts';
import { unpackRecords, type UnpackedRecords } from '../kafka/record-batches.ts';
import type { CompareRecord } from '../../comparators/types.ts';
import type { SideSettings } from './config.ts';
import { compareRecordOf, parseJson, type RecordParts } from './decode.ts';

export { BufferPool, packBatch, type PackedBatch } from '../kafka/packed.ts';

/**
 * Decodes a packed batch of a JSON side straight from the transferred bytes:
 * strings are decoded from ranges of the buffer and headers read in place, so a
 * record costs its CompareRecord and decoded value, and no views.
 */
export function decodePacked(p: PackedBatch, headerNames: readonly string[], settings: SideSettings, onError: (offset: number, e: unknown) => void): CompareRecord[] {
  const { count: n, nums, spans, bytes } = layout(p, headerNames);
  const parts = new PackedParts(bytes, headerNames, spans);
  // The bytes read as one latin1 string: an ASCII value (the usual case) is then a
  // substring for JSON.parse, cheaper than decoding every value on its own. Bytes
  // copied as one range hold record framing too, so the check is then per value.
  parts.allAscii = isAscii(bytes);
  // The bytes start 8-aligned in their buffer, so they can be read by words.
  parts.words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  const text = bytes.toString('latin1');
  const fields = 2 + headerNames.length;
  const out: CompareRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = 2 * i * fields;
    parts.timestamp = nums[2 * i + 1]!;
    parts.at = at;
    const valueAt = spans[at + 2]!;
    const valueEnd = valueAt + spans[at + 3]!;
    try {
      const value = valueEnd < valueAt ? null : parseJson(parts.allAscii || asciiIn(bytes, parts.words, valueAt, valueEnd) ? text.substring(valueAt, valueEnd) : bytes.toString('utf8', valueAt, valueEnd));
      out.push(compareRecordOf(parts, value, settings));
    } catch (e) {
      onError(nums[2 * i]!, e);
    }
  }
  return out;
}

/** The offsets and timestamps, spans and bytes of a packed batch of either kind. */
export function layout(p: PackedBatch, headerNames: readonly string[]): UnpackedRecords {
  if (p.kind === 'records') {
    return unpackRecords(Buffer.from(p.buffer, 0, p.size), p.from ?? 0, p.to ?? Infinity, headerNames.map((h) => Buffer.from(h)), p.count);
  }
  const n = p.count;
  const fields = 2 + headerNames.length;
  const numsBytes = n * 16;
  const spansBytes = n * fields * 8;
  return {
    count: n,
    nums: new Float64Array(p.buffer, 0, n * 2),
    spans: new Int32Array(p.buffer, numsBytes, n * fields * 2),
    bytes: Buffer.from(p.buffer, numsBytes + spansBytes, p.size - numsBytes - spansBytes),
  };
}

/** RecordParts over one record of a packed batch at a time (`at`: its first span). */
class PackedParts implements RecordParts {
  timestamp = 0;
  at = 0;
  allAscii = false;
  words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  start = 0;
  end = 0;

  constructor(
    readonly bytes: Buffer,
    private readonly names: readonly string[],
    private readonly spans: Int32Array,
  ) {}

  recordKey(): string | null {
    const start = this.spans[this.at]!;
    const len = this.spans[this.at + 1]!;
    if (len < 0) return null;
    // A copy, not a substring of the batch's text: keys outlive the batch (key coverage keeps them).
    const ascii = this.allAscii || asciiIn(this.bytes, this.words, start, start + len);
    return this.bytes.toString(ascii ? 'latin1' : 'utf8', start, start + len);
  }

  header(name: string): boolean {
    const h = this.names.indexOf(name);
    if (h < 0) return false;
    const s = this.at + 4 + 2 * h;
    const len = this.spans[s + 1]!;
    if (len < 0) return false;
    this.start = this.spans[s]!;
    this.end = this.start + len;
    return true;
  }
}

/** Whether bytes[start, end) are all ASCII; `words` views the same bytes four at a time. */
function asciiIn(b: Uint8Array, words: Uint32Array, start: number, end: number): boolean {
  let i = start;
  for (; i < end && (i & 3) !== 0; i++) if (b[i]! > 127) return false;
  const last = end >> 2;
  let high = 0;
  for (let w = i >> 2; w < last; w++) high |= words[w]!;
  if ((high & 0x80808080) !== 0) return false;
  for (i = Math.max(i, last << 2); i < end; i++) if (b[i]! > 127) return false;
  return true;
}
