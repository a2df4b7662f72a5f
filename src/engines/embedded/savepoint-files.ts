/** Where a managed job's stop leaves its files, and how a savepoint already on disk is answered for (host and adapter agree on both). */
import type { SavepointResult } from '../adapter.ts';
import { readSavepointMetadata } from '../../engine/index.ts';

/** The answer for a savepoint already on disk (a repeated request, or a stop recorded late). */
export async function savepointOnDisk(dir: string): Promise<SavepointResult> {
  const meta = await readSavepointMetadata(dir);
  return { location: dir, sourceOffsets: meta.sourceOffsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })), completedAt: meta.createdAt };
}

/** Where a stop's delta is written: beside the stop's full savepoint directory. */
export const deltaBeside = (savepointDir: string): string => `${savepointDir}.delta`;
