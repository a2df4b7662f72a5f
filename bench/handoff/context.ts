// What every part of the handoff benchmark shares: its settings from the
// environment, the context of a run, and the small helpers for printing and medians.
import type { ConnectionConfig } from '../../src/config/connection.ts';
import type { KafkaPort } from '../../src/kafka/port.ts';
import type { Orchestrator } from '../../src/orchestrator/create.ts';

export const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
export const RATE = Number(process.env.BENCH_RATE ?? 20_000);
export const RUNS = Number(process.env.BENCH_RUNS ?? 5);
export const say = (s: string) => process.stderr.write(`${s}\n`);
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface Ctx {
  readonly kafka: KafkaPort;
  readonly connection: ConnectionConfig;
  readonly orch: Orchestrator;
  readonly seed: string;
  readonly rates: Rates[];
}

export interface Rates {
  readonly produced: number;
  readonly authoritative: number;
  readonly candidate: number;
}
