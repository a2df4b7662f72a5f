/**
 * What a managed host remembers across its own restarts (its keeper respawns it
 * with the same config): the run's checkpoint lineage, where the job started
 * (a standby learns it only at `activate`), and whether a handoff control holds
 * the job. The adapter deletes the record when it starts a job afresh; a restarted
 * host finds it and resumes the same run from its latest committed checkpoint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../../files.ts';
import type { HostStart } from '../control/protocol.ts';

export interface RunRecord {
  /** Names the run's checkpoints (the checkpoint coordinator's `origin`): a new run starts a new lineage. */
  readonly lineage: string;
  /** Where the job started (without a delta: the base a standby restored ahead is gone after a crash). */
  readonly from?: HostStart;
  /**
   * A handoff control (hold, runUntil, a switched sink, a stop) holds the job: its
   * input gate and sink are the handoff's, not the config's, so a crash now is not
   * restarted; the handoff's own recovery decides.
   */
  readonly handoff?: string;
}

export function readRunRecord(file: string): RunRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

export class RunRecorder {
  private record: RunRecord;

  /** The run's record: the one a restarted host finds, or a new run's. */
  constructor(
    private readonly file: string,
    fresh: () => string,
  ) {
    this.record = readRunRecord(file) ?? { lineage: fresh() };
    this.write();
  }

  get current(): RunRecord {
    return this.record;
  }

  started(from: HostStart): void {
    const plain: HostStart = 'savepoint' in from ? { savepoint: from.savepoint, ...(from.allowNonRestoredState ? { allowNonRestoredState: true } : {}) } : from;
    this.record = { ...this.record, from: plain };
    this.write();
  }

  /** `why`: the control now holding the job; undefined: none holds it any more. */
  handoff(why: string | undefined): void {
    if (this.record.handoff === why) return;
    const { handoff: _, ...rest } = this.record;
    this.record = why === undefined ? rest : { ...rest, handoff: why };
    this.write();
  }

  private write(): void {
    writeFileAtomicSync(this.file, JSON.stringify(this.record));
  }
}
