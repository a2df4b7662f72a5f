import { Worker } from 'node:worker_threads';
import { ComparisonError, INTERNAL_ERROR, errorFromJSON } from '../errors.ts';
import type { Measurement, Window } from '../../comparators/types.ts';
import type { SideLabel } from './core.ts';
import { headersRead } from './decode.ts';
import { BufferPool, packBatch } from './packed.ts';
import type { Processor, ProcessorSetup } from './processor.ts';
import type { SideStats } from './side-state.ts';
import type { Progress, ToWorker, WorkerFailure } from './worker.ts';
import type { WindowDivergence } from './keys/buckets.ts';

type Unsequenced<T> = T extends unknown ? Omit<T, 'seq'> : never;

/** Batches handed to the worker and not yet processed before reading waits for it. */
const MAX_IN_FLIGHT = 8;

/**
 * Whether a comparison can run its checks in a worker: every side is JSON (Avro
 * decodes through the registry client, which lives in the reading thread) and the
 * configuration can be resolved again there.
 */
export function workerEligible(setup: ProcessorSetup): boolean {
  const sides = [setup.a, setup.b, ...(setup.noise ? [setup.noise] : [])];
  return setup.config.input !== undefined && sides.every((s) => s.settings.format === 'json');
}

/**
 * A processor in a worker thread: this thread keeps reading Kafka and packs each
 * batch into one transferable buffer; the worker decodes, windows and checks it.
 * Up to MAX_IN_FLIGHT batches are in the worker at a time, so the watermarks this
 * thread paces the reads by are at most that many batches old.
 */
export async function workerProcessor(setup: ProcessorSetup): Promise<Processor> {
  const labels: SideLabel[] = setup.noise ? ['a', 'b', 'noise'] : ['a', 'b'];
  const headers = new Map(labels.map((l) => [l, headersRead(setup[l]!.settings)]));
  // A larger young generation lets a batch's short-lived records die before they are promoted.
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 64 } });
  let seq = 0;
  let acked = 0;
  let closed = false;
  let failure: Error | undefined;
  let last: Progress | undefined;
  const measurements: Measurement[] = [];
  const noiseMeasurements: Measurement[] = [];
  const windows: Window[] = [];
  let divergences: WindowDivergence[] = [];
  const waiters: { seq: number; resolve: () => void }[] = [];
  const pool = new BufferPool(MAX_IN_FLIGHT + 4);

  const wake = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (failure || waiters[i]!.seq <= acked) waiters.splice(i, 1)[0]!.resolve();
    }
  };
  worker.on('message', (m: Progress | WorkerFailure) => {
    if (m.type === 'error') {
      const e = m.error;
      failure ??= e.error === INTERNAL_ERROR ? new Error(`comparison worker: ${e.message}`) : errorFromJSON(e);
    } else {
      last = m;
      if (m.buffer) pool.give(m.buffer);
      measurements.push(...m.measurements);
      noiseMeasurements.push(...m.noiseMeasurements);
      windows.push(...m.windows);
      divergences.push(...m.divergences);
    }
    acked = m.seq;
    wake();
  });
  worker.on('error', (e) => {
    failure ??= e;
    wake();
  });
  worker.on('exit', (code) => {
    if (!closed) failure ??= new ComparisonError('COMPARE_WORKER_EXIT', `The comparison worker thread exited (code ${code}).`, { hint: 'Run the comparison again; pass worker: false to compare in one thread.' });
    wake();
  });

  const post = (m: Unsequenced<ToWorker>, transfer: ArrayBuffer[] = []): number => {
    if (failure) throw failure;
    worker.postMessage({ ...m, seq: ++seq }, transfer);
    return seq;
  };
  const until = async (s: number): Promise<void> => {
    if (acked < s && !failure) await new Promise<void>((resolve) => waiters.push({ seq: s, resolve }));
    if (failure) throw failure;
  };

  try {
    await until(post({ type: 'init', input: setup.config.input, sides: { a: setup.a, b: setup.b, noise: setup.noise } }));
  } catch (e) {
    closed = true;
    await worker.terminate();
    throw e;
  }
  const state = () => last!;
  return {
    // The port hands each batch over packed (fetch-reader.ts, or kafkajs' messages packed); a port that cannot hands over records.
    readOptions: (label) => ({ pack: { headers: headers.get(label)!, pool } }),
    async ingest(label, batch, now) {
      const packed = batch.packed ?? packBatch(batch, headers.get(label)!, pool);
      const s = post({ type: 'batch', label, now, packed }, [packed.buffer]);
      if (s - acked > MAX_IN_FLIGHT) await until(s - MAX_IN_FLIGHT);
    },
    end: (label) => until(post({ type: 'end', label })),
    finish: () => until(post({ type: 'finish' })),
    flush: () => until(seq),
    watermark: (label) => state().watermarks[label] ?? -Infinity,
    get openWindows() {
      return state().openWindows;
    },
    stats: (label) => state().stats[label] as SideStats,
    droppedLate: (label) => state().droppedLate[label] ?? 0,
    results: () => ({ measurements, noiseMeasurements, windows }),
    takeDivergences() {
      const taken = divergences;
      divergences = [];
      return taken;
    },
    async close() {
      closed = true;
      await worker.terminate();
    },
  };
}
