/**
 * The comparison worker thread: decodes the batches the reading thread hands
 * over (packed, transferred), aligns them into windows, runs the checks, and
 * reports after each message what changed. Started by worker-processor.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { Measurement, Window } from '../../comparators/types.ts';
import { serializeError, type SerializedError } from '../errors.ts';
import { loadCompareConfig } from './config.ts';
import { ComparisonCore, type SideLabel } from './core.ts';
import type { PackedBatch } from './packed.ts';
import type { SideSetup } from './processor.ts';
import type { SideStats } from './side-state.ts';
import { spanOfPacked, type WindowDivergence } from './keys/buckets.ts';

export type ToWorker =
  | { type: 'init'; seq: number; input: unknown; sides: { a: SideSetup; b: SideSetup; noise?: SideSetup | undefined } }
  | { type: 'batch'; seq: number; label: SideLabel; now: number; packed: PackedBatch }
  | { type: 'end'; seq: number; label: SideLabel }
  | { type: 'finish'; seq: number };

export interface Progress {
  readonly type: 'progress';
  readonly seq: number;
  readonly watermarks: Partial<Record<SideLabel, number>>;
  readonly openWindows: number;
  readonly stats: Partial<Record<SideLabel, SideStats>>;
  readonly droppedLate: Partial<Record<SideLabel, number>>;
  /** The batch's buffer, handed back to be packed into again. */
  readonly buffer?: ArrayBuffer | undefined;
  /** Measurements and windows judged since the previous message. */
  readonly measurements: Measurement[];
  readonly noiseMeasurements: Measurement[];
  readonly windows: Window[];
  /** Windows judged since the previous message whose key-range checksums differ. */
  readonly divergences: WindowDivergence[];
}

export interface WorkerFailure {
  readonly type: 'error';
  readonly seq: number;
  readonly error: SerializedError;
}

const port = parentPort!;
let core: ComparisonCore | undefined;
let labels: SideLabel[] = [];
let sentMeasurements = 0;
let sentNoise = 0;
let sentWindows = 0;

function progress(seq: number, buffer?: ArrayBuffer): Progress {
  const c = core!;
  const windows = c.windows.size > sentWindows ? [...c.windows.values()].slice(sentWindows) : [];
  sentWindows = c.windows.size;
  const out: Progress = {
    type: 'progress',
    seq,
    buffer,
    watermarks: Object.fromEntries(labels.map((l) => [l, c.side(l).effectiveWatermark()])),
    openWindows: c.openWindows,
    stats: Object.fromEntries(labels.map((l) => [l, c.side(l).stats])),
    droppedLate: Object.fromEntries(labels.map((l) => [l, c.droppedLate(l)])),
    measurements: c.measurements.slice(sentMeasurements),
    noiseMeasurements: c.noiseMeasurements.slice(sentNoise),
    windows,
    // Handed over once: the worker keeps none of them.
    divergences: c.main.divergences.splice(0),
  };
  sentMeasurements = c.measurements.length;
  sentNoise = c.noiseMeasurements.length;
  return out;
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    // Custom checks are code: the worker loads their modules itself (absolute paths in the input).
    const config = await loadCompareConfig(m.input);
    core = new ComparisonCore(config, m.sides);
    labels = m.sides.noise ? ['a', 'b', 'noise'] : ['a', 'b'];
    for (const l of labels) {
      const s = m.sides[l]!;
      core.side(l).expect(s.expected, s.openedAt);
    }
    port.postMessage(progress(m.seq));
    return;
  }
  const c = core!;
  if (m.type === 'batch') {
    c.add(m.label, m.packed, c.side(m.label).decodePacked(m.packed), m.now, spanOfPacked(m.packed));
  } else if (m.type === 'end') c.side(m.label).done = true;
  // JSON sides only (worker-processor decides): no registry, so no schema information.
  if (c.canJudge()) c.judge({});
  const buffer = m.type === 'batch' ? m.packed.buffer : undefined;
  port.postMessage(progress(m.seq, buffer), buffer ? [buffer] : []);
}

// Messages are handled one at a time, in order.
let chain = Promise.resolve();
port.on('message', (m: ToWorker) => {
  chain = chain.then(() => handle(m)).catch((e: unknown) => {
    const failure: WorkerFailure = { type: 'error', seq: m.seq, error: serializeError(e) };
    port.postMessage(failure);
  });
});
