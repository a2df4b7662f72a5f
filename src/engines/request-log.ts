/**
 * An engine adapter's durable request log (the idempotency contract of
 * adapter.ts; both the embedded and the Flink adapter keep one): the outcome of every changing call is kept by its requestId in
 * `requests/<requestId>.json`, so a repeated request returns the first outcome
 * and acts once. A crash after the act and before the outcome is written is the
 * adapter's to cover (a savepoint directory named after the requestId, or a
 * stopped job's final record, says what happened).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { StateDir } from './state-dir.ts';
import { writeFileAtomicSync } from '../files.ts';

export class RequestLog {
  constructor(private readonly state: StateDir) {}

  /** The recorded outcome of `requestId`, else `act`'s, recorded (atomically: complete or absent). */
  async once<T>(requestId: string, act: () => Promise<T>): Promise<T> {
    const f = this.state.file('requests', requestId, '.json');
    if (existsSync(f)) return (JSON.parse(readFileSync(f, 'utf8')) as { result: T }).result;
    const result = await act();
    writeFileAtomicSync(f, JSON.stringify({ requestId, result }));
    return result;
  }
}
