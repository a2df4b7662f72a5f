/**
 * A deterministic transaction stream for the fraud example (and the canary demo):
 * the same seed always gives the same transactions.
 *
 *   node --import tsx examples/fraud/generate.ts --topic fraud.tx --count 10000 [--seed 42] [--brokers host:port]
 */
import type { Transaction } from './model.ts';

export interface GenerateOptions {
  readonly count: number;
  readonly seed?: number;
  readonly users?: number;
  /** Event time of the first transaction (ms); one every `stepMs` after. */
  readonly startTs?: number;
  readonly stepMs?: number;
}

/** Mulberry32: a tiny, fast, seedable PRNG (the demo's live traffic draws from it too). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateTransactions(o: GenerateOptions): Transaction[] {
  const rnd = prng(o.seed ?? 42);
  const users = o.users ?? 50;
  const start = o.startTs ?? 1_700_000_000_000;
  const step = o.stepMs ?? 1000;
  return Array.from({ length: o.count }, (_, i) => {
    // Mostly small amounts, a tail of large ones: some flagged by v1 (> 100), fewer by v2 (> 500).
    const r = rnd();
    const amount = Math.round((r < 0.8 ? rnd() * 100 : r < 0.95 ? 100 + rnd() * 400 : 500 + rnd() * 1500) * 100) / 100;
    return { txId: `tx-${i}`, userId: `user-${Math.floor(rnd() * users)}`, amount, ts: start + i * step };
  });
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, fallback?: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const { createKafkaClients } = await import('../../src/kafka/index.ts');
  const { resolveConnection } = await import('../../src/config/connection.ts');
  const { createLogger } = await import('../../src/logger.ts');
  const topic = arg('topic', 'fraud.tx')!;
  const txs = generateTransactions({ count: Number(arg('count', '1000')), seed: Number(arg('seed', '42')) });
  const { kafka } = createKafkaClients(resolveConnection({ brokers: arg('brokers'), env: process.env }), createLogger({ level: 'warn' }));
  try {
    for (let i = 0; i < txs.length; i += 1000) {
      await kafka.produce(topic, txs.slice(i, i + 1000).map((t) => ({ key: t.userId, value: JSON.stringify(t), timestamp: t.ts })));
    }
    process.stdout.write(`produced ${txs.length} transactions to ${topic}\n`);
  } finally {
    await kafka.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
