import { PitlaneError } from '../../errors.ts';

/** A job stopped because a bad record met the `fail` dead-letter policy, or a sink could not write. */
export class JobFailedError extends PitlaneError {}
