/**
 * Exit codes of every pitlane command (documented in the README).
 * Verdict commands (compare, canary gate) use 0/1/2 (canary gate also 4); any command may end with 3.
 */
export const EXIT = {
  OK: 0,
  /** A verdict command judged the candidate: fail. */
  FAIL: 1,
  /** A verdict command could not decide yet (too little data). */
  INCONCLUSIVE: 2,
  /** Something went wrong: unreachable broker, bad input, invalid config. The message says what. */
  ERROR: 3,
  /** canary gate: the deployment was aborted or rolled back (without a fail verdict): whatever it passed, it does not go on. */
  WITHDRAWN: 4,
  /** The command line itself is wrong (unknown flag, missing argument). */
  USAGE: 64,
} as const;
