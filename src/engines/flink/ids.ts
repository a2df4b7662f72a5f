/**
 * Flink ids derived from pitlane's own, so that a repeated request never acts twice
 * and any machine finds a job again from the cluster alone:
 *
 * - a run gets the Flink JobID `<16 hex of the pitlane job id><16 hex of the request id>`:
 *   Flink refuses a second submission of a JobID, so a repeated start finds the first
 *   one; and every run of one pitlane job shares the first half, so `status(jobId)`
 *   lists the cluster's jobs and takes the latest run with that prefix;
 * - a savepoint or a stop gets the trigger id `<32 hex of the request id>`: Flink
 *   answers a repeated trigger id with the first operation.
 */
import { createHash } from 'node:crypto';

const hex = (text: string, chars: number): string => createHash('sha256').update(text).digest('hex').slice(0, chars);

/** The first half of the Flink JobID of every run of `jobId`. */
export function jobPrefix(jobId: string): string {
  return hex(`pitlane-job\0${jobId}`, 16);
}

/** The Flink JobID of the run that `requestId` starts. */
export function flinkJobId(jobId: string, requestId: string): string {
  return `${jobPrefix(jobId)}${hex(`pitlane-request\0${requestId}`, 16)}`;
}

/** The savepoint trigger id of `requestId`. */
export function triggerId(requestId: string): string {
  return hex(`pitlane-trigger\0${requestId}`, 32);
}
