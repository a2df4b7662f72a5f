/**
 * What a managed job was when it stopped: its last status and metrics, recorded
 * by the adapter at the stop (`final/<jobId>.json`), so status and metrics still
 * answer once the host process has gone.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { HostMetrics, HostStatus } from './control/protocol.ts';
import type { StateDir } from '../state-dir.ts';
import { writeFileAtomicSync } from '../../files.ts';

export interface FinalRecord {
  readonly status: HostStatus;
  readonly metrics: HostMetrics;
}

export class FinalRecords {
  constructor(private readonly state: StateDir) {}

  read(jobId: string): FinalRecord | undefined {
    const f = this.state.file('final', jobId, '.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as FinalRecord) : undefined;
  }

  write(jobId: string, rec: FinalRecord): void {
    const f = this.state.file('final', jobId, '.json');
    writeFileAtomicSync(f, JSON.stringify(rec));
  }
}
