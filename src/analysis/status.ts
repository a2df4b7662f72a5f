import type { Status } from '../../comparators/types.ts';

/**
 * Worst status wins. A failure is a fact about the candidate and an error only a
 * fact about the measurement, so Failed outranks Error; either outranks
 * Inconclusive, which outranks Successful (no data never passes).
 */
const RANK: Readonly<Record<Status, number>> = { Successful: 0, Inconclusive: 1, Error: 2, Failed: 3 };

export function worst(statuses: Iterable<Status>): Status {
  let w: Status = 'Successful';
  for (const s of statuses) if (RANK[s] > RANK[w]) w = s;
  return w;
}

export function emptyCounts(): Record<Status, number> {
  return { Successful: 0, Failed: 0, Inconclusive: 0, Error: 0 };
}
