import type { ReadOptions, RecordBatch } from '../kafka/port.ts';
import type { SchemaRegistryPort } from '../kafka/registry.ts';
import type { Measurement, Window } from '../../comparators/types.ts';
import { avroFields } from '../../comparators/shared/fields.ts';
import type { CompareConfig } from './config.ts';
import { ComparisonCore, type SchemaInfo, type SideLabel } from './core.ts';
import type { SideOptions, SideStats } from './side-state.ts';
import type { WindowDivergence } from './keys/buckets.ts';

export interface SideSetup extends SideOptions {
  /** Partitions the side's watermark waits for. */
  readonly expected: readonly number[];
  readonly openedAt: number;
}

export interface ProcessorSetup {
  readonly config: CompareConfig;
  readonly a: SideSetup;
  readonly b: SideSetup;
  readonly noise?: SideSetup | undefined;
  readonly registry?: SchemaRegistryPort | undefined;
}

export interface Results {
  readonly measurements: readonly Measurement[];
  readonly noiseMeasurements: readonly Measurement[];
  readonly windows: readonly Window[];
}

/**
 * Where a comparison's batches are decoded, windowed and judged: in this thread
 * (`localProcessor`) or in a worker thread (`workerProcessor`). The driver only
 * reads Kafka and paces the sides by the watermarks the processor reports.
 */
export interface Processor {
  /** What a side's reader should add to its read (a worker takes batches packed). */
  readOptions?(label: SideLabel): Pick<ReadOptions, 'pack'>;
  /** Takes a batch of a side read at `now`; judges the windows it closes. A worker may still be busy with it when this resolves. */
  ingest(label: SideLabel, batch: RecordBatch, now: number): Promise<void>;
  /** The side's read ended: it stands past everything. */
  end(label: SideLabel): Promise<void>;
  /** Every read ended: judges what is left. */
  finish(): Promise<void>;
  /** Resolves once every batch handed over has been processed. */
  flush(): Promise<void>;
  /** The side's watermark as far as processed (Infinity once ended, -Infinity before any). */
  watermark(label: SideLabel): number;
  readonly openWindows: number;
  stats(label: SideLabel): SideStats;
  droppedLate(label: SideLabel): number;
  results(): Results;
  /** Judged windows whose key-range checksums differ (keys/buckets.ts) since the last call, in judging order; handed over once. */
  takeDivergences(): WindowDivergence[];
  close(): Promise<void>;
}

export function localProcessor(setup: ProcessorSetup): Processor {
  const core = new ComparisonCore(setup.config, setup);
  for (const l of ['a', 'b', 'noise'] as const) {
    const s = setup[l];
    if (s) core.side(l).expect(s.expected, s.openedAt);
  }
  const registry = setup.registry;
  const avro = registry ? (bytes: Buffer) => registry.decode(bytes) : undefined;
  let schemaInfo: Promise<SchemaInfo> | undefined;
  const judge = async () => {
    if (!core.canJudge()) return;
    // Schemas are looked up once, when the first window may close (ids are known by then).
    core.judge(await (schemaInfo ??= resolveSchemas(core, setup)));
  };
  return {
    // JSON sides read packed batches (no record object per record); Avro sides read records.
    readOptions: (label) => {
      const s = core.side(label);
      return s.o.settings.format === 'json' ? { pack: { headers: s.headers } } : {};
    },
    async ingest(label, batch, now) {
      await core.ingest(label, batch, now, avro);
      await judge();
    },
    async end(label) {
      core.side(label).done = true;
      await judge();
    },
    finish: judge,
    flush: async () => undefined,
    watermark: (label) => core.side(label).effectiveWatermark(),
    get openWindows() {
      return core.openWindows;
    },
    stats: (label) => core.side(label).stats,
    droppedLate: (label) => core.droppedLate(label),
    results: () => ({ measurements: core.measurements, noiseMeasurements: core.noiseMeasurements, windows: [...core.windows.values()] }),
    takeDivergences: () => core.main.divergences.splice(0),
    close: async () => undefined,
  };
}

/** Avro sides: field types from the registry, and its verdict on b's schema against a's subject. */
export async function resolveSchemas(core: ComparisonCore, setup: ProcessorSetup): Promise<SchemaInfo> {
  const reg = setup.registry;
  if (!reg) return {};
  const { a, b, noise } = core.sides;
  const fields = async (s: typeof a) => (s.o.settings.format === 'avro' && s.schemaId !== undefined ? avroFields(await reg.schemaById(s.schemaId)) : undefined);
  const info: SchemaInfo = { a: await fields(a), b: await fields(b), ...(noise ? { noise: await fields(noise) } : {}) };
  if (a.o.settings.format === 'avro' && b.schemaId !== undefined && b.o.settings.format === 'avro') {
    const schemaB = await reg.schemaById(b.schemaId);
    info.compatibility = await reg.checkCompatibility(a.o.settings.subject ?? `${a.o.topic}-value`, schemaB);
  }
  return info;
}
