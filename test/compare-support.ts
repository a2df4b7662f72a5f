import type { KafkaPort, OutgoingRecord } from '../src/kafka/port.ts';
import { LINEAGE_HEADERS } from '../src/lineage.ts';

/** One output record of a fake job run, before it is written to a topic. */
export interface Row {
  key: string;
  eventTime: number;
  /** Emit time: the Kafka record timestamp. */
  timestamp: number;
  value: Record<string, unknown>;
  srcOffset: number;
}

export const WINDOW = 10_000;
export const BASE = Date.UTC(2024, 4, 1, 12, 0, 0);

/**
 * The authoritative job's output: `keys` keys, one record per key and window over
 * `windows` windows, emitted 200 ms after its event time, with lineage headers.
 * Values vary by key and window so every statistic has something to see.
 */
export function authoritativeRows(keys = 40, windows = 6): Row[] {
  const rows: Row[] = [];
  let offset = 0;
  for (let w = 0; w < windows; w++) {
    for (let k = 0; k < keys; k++) {
      const eventTime = BASE + w * WINDOW + ((k * 211) % WINDOW);
      rows.push({
        key: `user-${k}`,
        eventTime,
        timestamp: eventTime + 200,
        value: { id: `user-${k}`, amount: 10 + ((k * 37 + w * 11) % 90), region: ['eu', 'us', 'apac'][k % 3], score: (k % 7) / 7 },
        srcOffset: offset++,
      });
    }
  }
  return rows;
}

export async function writeRows(kafka: KafkaPort, topic: string, rows: readonly Row[]): Promise<void> {
  const records: OutgoingRecord[] = rows.map((r) => ({
    key: r.key,
    value: JSON.stringify(r.value),
    timestamp: r.timestamp,
    headers: {
      [LINEAGE_HEADERS.topic]: 'input',
      [LINEAGE_HEADERS.partition]: '0',
      [LINEAGE_HEADERS.offset]: String(r.srcOffset),
      [LINEAGE_HEADERS.eventTime]: String(r.eventTime),
    },
  }));
  for (let i = 0; i < records.length; i += 500) await kafka.produce(topic, records.slice(i, i + 500));
}

/** One injected difference each; `check` is the only check type that should catch it. */
export const INJECTIONS: readonly { name: string; check: string | null; mutate(rows: Row[]): Row[] }[] = [
  { name: 'identical', check: null, mutate: (rows) => rows },
  {
    name: 'reordered within windows',
    check: null,
    mutate: (rows) => [...rows].sort((x, y) => Math.floor(x.eventTime / WINDOW) - Math.floor(y.eventTime / WINDOW) || y.key.localeCompare(x.key)),
  },
  // Keys renamed, not dropped: same count, values and timing, only the key sets differ.
  { name: 'dropped keys', check: 'key-coverage', mutate: (rows) => rows.map((r) => (Number(r.key.slice(5)) % 4 === 0 ? { ...r, key: `${r.key}-x` } : r)) },
  { name: 'nulled field', check: 'null-rate', mutate: (rows) => rows.map((r, i) => (i % 2 === 0 ? { ...r, value: { ...r.value, region: null } } : r)) },
  { name: 'shifted values', check: 'aggregate', mutate: (rows) => rows.map((r) => ({ ...r, value: { ...r.value, amount: (r.value.amount as number) * 1.25 } })) },
  // Emitted 60 s later than a: past the lateness check's default 30 s watermark lag.
  { name: 'delayed watermark', check: 'lateness', mutate: (rows) => rows.map((r) => ({ ...r, timestamp: r.timestamp + 60_000 })) },
  { name: 'retyped field', check: 'schema', mutate: (rows) => rows.map((r) => ({ ...r, value: { ...r.value, score: String(r.value.score) } })) },
];

/** The checks config the broker tests use: 10 s windows, all six checks. */
export const TEST_CONFIG = {
  window: '10s',
  allowedLateness: 0,
  minimum: { windows: 3, records: 100 },
  checks: [{ type: 'count' }, { type: 'schema' }, { type: 'null-rate' }, { type: 'key-coverage' }, { type: 'aggregate' }, { type: 'lateness' }],
};
