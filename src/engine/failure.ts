/**
 * The error that fails a running job. It lives at the engine's root, below both
 * layers that use it: operators raise it, the runtime stops the job on it.
 */
import { PitlaneError } from '../errors.ts';

/** A job stopped because a bad record met the `fail` dead-letter policy, or a sink could not write. */
export class JobFailedError extends PitlaneError {}
