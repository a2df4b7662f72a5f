/**
 * The demo's final check, read back from Kafka: across a promotion, did the
 * authoritative topic get exactly one output for every input that should have
 * one — the old version's rule before the handoff offsets, the new version's
 * rule from them on — and nothing else? Output records name their cause in
 * lineage headers, so each one is matched to its input record exactly.
 */
import type { IncomingRecord, KafkaPort, TopicPartitionOffset } from '../kafka/port.ts';
import { LINEAGE_HEADERS } from '../lineage.ts';

export interface HandoffCheck {
  readonly input: string;
  readonly output: string;
  /** The handoff offsets: input below them is the old job's, from them on the new job's. */
  readonly cut: readonly TopicPartitionOffset[];
  /** Input is checked below these offsets (what the new job has consumed). */
  readonly until: readonly TopicPartitionOffset[];
  /** Does an input record cause one output under the old / the new version? */
  readonly before: (value: unknown) => boolean;
  readonly after: (value: unknown) => boolean;
}

export interface HandoffVerdict {
  readonly inputs: number;
  readonly expected: number;
  readonly outputs: number;
  readonly missing: number;
  readonly duplicates: number;
  readonly unexpected: number;
  readonly ok: boolean;
  readonly examples: readonly string[];
}

/** Which rule holds for an input record: the version that owned its offset. */
export type RuleAt = (partition: number, offset: number) => (value: unknown) => boolean;

export async function readAll(kafka: KafkaPort, topic: string, to: 'end' | { offsets: readonly TopicPartitionOffset[] }, from: 'earliest' | { offsets: readonly TopicPartitionOffset[] } = 'earliest'): Promise<IncomingRecord[]> {
  const out: IncomingRecord[] = [];
  const reader = kafka.read({ topics: [topic], from, to, isolation: 'read_committed' });
  for await (const b of reader) out.push(...b.records);
  await reader.close();
  return out;
}

export async function verifyHandoff(kafka: KafkaPort, c: HandoffCheck): Promise<HandoffVerdict> {
  const cut = new Map(c.cut.map((o) => [o.partition, o.offset]));
  return verifyOutputs(kafka, { input: c.input, until: c.until, outputs: await readAll(kafka, c.output, 'end'), ruleAt: (p, o) => (o < (cut.get(p) ?? 0) ? c.before : c.after) });
}

/**
 * The general form: `outputs` is what a downstream consumer read (from one topic
 * or, across a cutover, from two); every input below `until` must be matched by
 * exactly as many outputs as its rule says (0 or 1).
 */
export async function verifyOutputs(kafka: KafkaPort, c: { input: string; until: readonly TopicPartitionOffset[]; outputs: readonly IncomingRecord[]; ruleAt: RuleAt }): Promise<HandoffVerdict> {
  const inputs = await readAll(kafka, c.input, { offsets: c.until.filter((o) => o.topic === c.input) });
  const want = new Set<string>();
  for (const r of inputs) {
    const v = JSON.parse(r.value?.toString('utf8') ?? 'null') as unknown;
    if (c.ruleAt(r.partition, r.offset)(v)) want.add(`${r.partition}@${r.offset}`);
  }
  const checkedBelow = new Map(c.until.map((o) => [o.partition, o.offset]));
  const seen = new Map<string, number>();
  let outputs = 0;
  for (const r of c.outputs) {
    const p = Number(r.headers[LINEAGE_HEADERS.partition]?.toString());
    const o = Number(r.headers[LINEAGE_HEADERS.offset]?.toString());
    if (r.headers[LINEAGE_HEADERS.topic]?.toString() !== c.input || o >= (checkedBelow.get(p) ?? 0)) continue;
    outputs++;
    const k = `${p}@${o}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const examples: string[] = [];
  const note = (count: number, text: string) => {
    if (count < 3) examples.push(text);
  };
  let missing = 0;
  for (const k of want) if (!seen.has(k)) note(missing++, `missing output for input ${c.input}/${k}`);
  let duplicates = 0;
  let unexpected = 0;
  for (const [k, n] of seen) {
    if (n > 1) duplicates += n - 1;
    if (n > 1 && examples.length < 6) examples.push(`${n} outputs for input ${c.input}/${k}`);
    if (!want.has(k)) note(unexpected++, `output for input ${c.input}/${k}, which should have none`);
  }
  return { inputs: inputs.length, expected: want.size, outputs, missing, duplicates, unexpected, ok: missing === 0 && duplicates === 0 && unexpected === 0, examples };
}
