/**
 * Live traffic for the demo and the end-to-end tests: fraud transactions at a
 * steady rate, event time = when each was due at that rate (the wall clock while
 * production keeps up, so event-time windows close as time passes), keyed by
 * user. Amounts follow the fraud example's
 * distribution: 20% above 100 (v1 flags them), 5% above 500 (v2 flags them).
 */
import type { KafkaPort } from '../kafka/port.ts';
import { prng } from '../../examples/fraud/generate.ts';
import { sleep } from '../clock.ts';

export interface TrafficOptions {
  readonly topic: string;
  /** Transactions per second. */
  readonly rate: number;
  readonly users?: number;
  readonly seed?: number;
  /** Stop after this many (default: until stopped). */
  readonly count?: number;
}

export interface Traffic {
  /** Transactions produced so far. */
  produced(): number;
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/** The most records one send carries. */
export const TRAFFIC_CHUNK = 2000;

export function startTraffic(kafka: KafkaPort, o: TrafficOptions, now: () => number = Date.now): Traffic {
  const rnd = prng(o.seed ?? 7);
  const users = o.users ?? 20;
  let n = 0;
  let stopped = false;
  const t0 = now();
  const done = (async () => {
    while (!stopped && (o.count === undefined || n < o.count)) {
      // Produce what the rate owes since the start, at most one chunk per send:
      // kafkajs groups a send's records by partition in time quadratic in their
      // number, so a backlog after a stall (a loaded machine, a broker restart)
      // sent as one batch would block the producer instead of catching up.
      const due = Math.min(Math.floor(((now() - t0) / 1000) * o.rate), o.count ?? Number.POSITIVE_INFINITY, n + TRAFFIC_CHUNK);
      const batch = [];
      for (; n < due; n++) {
        const r = rnd();
        const amount = Math.round((r < 0.8 ? rnd() * 100 : r < 0.95 ? 100 + rnd() * 400 : 500 + rnd() * 1500) * 100) / 100;
        const userId = `user-${Math.floor(rnd() * users)}`;
        // The time the transaction was due at the rate: the wall clock while the
        // producer keeps up, and no bunching of a backlog into one instant after a
        // stall (a broker restart), which would leave the stalled windows nearly empty.
        const ts = t0 + Math.floor((n * 1000) / o.rate);
        batch.push({ key: userId, value: JSON.stringify({ txId: `tx-${n}`, userId, amount, ts }), timestamp: ts });
      }
      // A transient broker error (a just-created topic without a leader yet, a
      // broker restart) delays the batch; it is retried, not lost.
      for (let attempt = 0; batch.length > 0; attempt++) {
        try {
          await kafka.produce(o.topic, batch);
          break;
        } catch (e) {
          if (stopped || attempt >= 50) throw e;
          await sleep(200);
        }
      }
      // Behind (a full chunk went out): send the next one at once; caught up: wait a tick.
      if (batch.length < TRAFFIC_CHUNK) await sleep(50);
    }
  })();
  return {
    produced: () => n,
    async stop() {
      stopped = true;
      await done;
    },
    done,
  };
}
