/**
 * Dead letters (issue 3 §6): a record that fails to decode, or makes user code
 * throw, is written to the dead-letter topic with the error and its source position
 * in headers (policy `dlq`), or stops the job (policy `fail`).
 */
import type { IncomingRecord, OutgoingRecord } from '../../kafka/port.ts';
import { describeUnknown, isPitlaneError } from '../../errors.ts';
import { JobFailedError } from '../failure.ts';
import { DEAD_LETTER_HEADERS, lineageHeaders } from './lineage.ts';

export interface DeadLetter {
  readonly operator: string;
  readonly error: string;
  readonly code: string;
  readonly source: IncomingRecord;
}

export class DeadLetterBuffer {
  private pending: OutgoingRecord[] = [];
  /** The most recent dead letters, for status and tests. */
  readonly recent: DeadLetter[] = [];
  total = 0;

  constructor(
    private readonly policy: 'dlq' | 'fail',
    readonly topic: string,
    private readonly keepRecent = 100,
  ) {}

  add(operator: string, error: unknown, source: IncomingRecord): void {
    const message = describeUnknown(error);
    const code = isPitlaneError(error) ? error.code : 'USER_CODE_THREW';
    if (this.policy === 'fail') {
      throw new JobFailedError('ENGINE_RECORD_FAILED', `${operator} failed on ${source.topic}/${source.partition}@${source.offset}: ${message}`, {
        hint: 'The job uses deadLetters.policy "fail". Fix the input or the code, or use policy "dlq" to keep running.',
        cause: error,
      });
    }
    this.total++;
    this.recent.push({ operator, error: message, code, source });
    if (this.recent.length > this.keepRecent) this.recent.shift();
    this.pending.push({
      key: source.key,
      value: source.value,
      timestamp: source.timestamp >= 0 ? source.timestamp : undefined,
      headers: { ...lineageHeaders(source, source.timestamp), [DEAD_LETTER_HEADERS.error]: message, [DEAD_LETTER_HEADERS.code]: code, [DEAD_LETTER_HEADERS.operator]: operator },
    });
  }

  take(): OutgoingRecord[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
