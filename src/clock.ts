/**
 * Time, the one way pitlane reads it (design.md §2: time comes from an injected
 * clock). A low module any layer may import. Composition roots pass `systemClock`
 * (or a test's fake) in; pure modules take `now` as an argument instead.
 */

/** The current time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Resolves after `ms` milliseconds (a timer that keeps the process alive until then). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
