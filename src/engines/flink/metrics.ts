/**
 * A Flink job's numbers over REST, in the engine port's terms: records in and their
 * rate and lag (the Kafka sources' own metrics), records out (the sinks' writers),
 * and watermarks per vertex and per source partition.
 *
 * Metric ids are per operator (`Source__<name>.numRecordsIn`, `<sink>__Writer.numRecordsSend`),
 * so each vertex's list is read first and the ids picked by their suffix. Vertex
 * metrics lag by up to `metrics.fetcher.update-interval` (the local cluster sets 1 s).
 */
import type { FlinkRest } from './rest.ts';
import type { FlinkJobDetails, FlinkVertex } from './jobs.ts';

interface Metric {
  readonly id: string;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
}

const isSource = (v: FlinkVertex): boolean => v.name.startsWith('Source:');

async function vertexMetrics(rest: FlinkRest, jid: string, v: FlinkVertex, pick: (id: string) => boolean): Promise<Metric[]> {
  const base = `/jobs/${jid}/vertices/${v.id}/subtasks/metrics`;
  const ids = (await rest.get<Metric[]>(base)).map((m) => m.id).filter(pick);
  if (ids.length === 0) return [];
  return rest.get<Metric[]>(`${base}?get=${ids.map(encodeURIComponent).join(',')}&agg=sum,min,max`);
}

const total = (ms: readonly Metric[], suffix: string): number => ms.filter((m) => m.id.endsWith(suffix)).reduce((s, m) => s + (m.sum ?? 0), 0);

export interface FlinkNumbers {
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly inputLag: number;
  readonly inRate: number;
}

export async function jobNumbers(rest: FlinkRest, job: FlinkJobDetails): Promise<FlinkNumbers> {
  let recordsIn = 0, inRate = 0, inputLag = 0, recordsOut = 0;
  for (const v of job.vertices) {
    const ms = await vertexMetrics(rest, job.jid, v, (id) => /^Source__[^.]+\.(numRecordsIn|numRecordsInPerSecond|pendingRecords)$/.test(id) || /__Writer\.numRecordsSend$/.test(id));
    recordsIn += total(ms, '.numRecordsIn');
    inRate += total(ms, '.numRecordsInPerSecond');
    inputLag += total(ms, '.pendingRecords');
    recordsOut += total(ms, '.numRecordsSend');
  }
  return { recordsIn, recordsOut, inputLag, inRate };
}

export interface VertexWatermark {
  readonly vertex: string;
  readonly name: string;
  /** The lowest input watermark over the vertex's subtasks (ms); absent before the first. */
  readonly watermark?: number;
}

/** Flink's "no watermark yet" (Long.MIN_VALUE), and anything not a number, is absent. */
function watermarkValue(text: string | number): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > -9_000_000_000_000_000 ? n : undefined;
}

export async function vertexWatermarks(rest: FlinkRest, job: FlinkJobDetails): Promise<VertexWatermark[]> {
  const out: VertexWatermark[] = [];
  for (const v of job.vertices) {
    let values: (number | undefined)[];
    if (isSource(v)) {
      const ms = await vertexMetrics(rest, job.jid, v, (id) => /^Source__[^.]+\.currentOutputWatermark$/.test(id));
      values = ms.map((m) => watermarkValue(m.min ?? Number.NaN));
    } else {
      values = (await rest.get<{ id: string; value: string }[]>(`/jobs/${job.jid}/vertices/${v.id}/watermarks`)).map((w) => watermarkValue(w.value));
    }
    const known = values.filter((x): x is number => x !== undefined);
    out.push({ vertex: v.id, name: v.name, ...(known.length === values.length && known.length > 0 ? { watermark: Math.min(...known) } : {}) });
  }
  return out;
}

/** Each source partition's watermark, from the Kafka source's per-split metrics. */
export async function partitionWatermarks(rest: FlinkRest, job: FlinkJobDetails): Promise<{ topic: string; partition: number; watermark: number }[]> {
  const out: { topic: string; partition: number; watermark: number }[] = [];
  for (const v of job.vertices.filter(isSource)) {
    for (const m of await vertexMetrics(rest, job.jid, v, (id) => /\.split\..+-\d+\.watermark\.currentWatermark$/.test(id))) {
      const split = /\.split\.(.+)-(\d+)\.watermark\.currentWatermark$/.exec(m.id);
      const wm = watermarkValue(m.max ?? Number.NaN);
      if (split && wm !== undefined) out.push({ topic: split[1]!, partition: Number(split[2]), watermark: wm });
    }
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
