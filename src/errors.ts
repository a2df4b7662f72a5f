/**
 * One error hierarchy for all of pitlane (design.md §7).
 *
 * Every error has a stable `code` (safe to match on in scripts and tests), a
 * `retriable` flag (true when the same call may succeed later without a change),
 * and a `hint` that says what to do next. Only the CLI turns errors into exit codes.
 */
export interface ErrorDetails {
  readonly hint?: string;
  readonly retriable?: boolean;
  readonly cause?: unknown;
  readonly data?: Record<string, unknown>;
}

export class PitlaneError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly hint: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = details.retriable ?? false;
    this.hint = details.hint;
    this.data = details.data;
  }

  /** The message with the hint, as a person should read it. */
  describe(): string {
    return this.hint ? `${this.message}\n  → ${this.hint}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.data ? { data: this.data } : {}),
    };
  }
}

/** Bad command-line usage or a bad configuration value. Never retriable. */
export class ConfigError extends PitlaneError {}

/** The local development environment (Java, Maven, the launcher) failed. */
export class DevEnvError extends PitlaneError {}

/** Talking to Kafka or the schema registry failed. */
export class KafkaError extends PitlaneError {}

/** A record could not be (de)serialized. */
export class SerdeError extends PitlaneError {}

/** A job definition is invalid (a missing uid, a bad topology). */
export class JobDefinitionError extends PitlaneError {}

/** A savepoint or checkpoint on disk is unreadable or inconsistent. */
export class SavepointFormatError extends PitlaneError {}

/** A savepoint cannot be restored into a job as asked. */
export class RestoreIncompatibleError extends PitlaneError {}

/** A comparison could not be carried out. */
export class ComparisonError extends PitlaneError {}

/** A deployment step (fork, promote, rollback) was refused or failed. */
export class PromotionError extends PitlaneError {}

export function isPitlaneError(e: unknown): e is PitlaneError {
  return e instanceof PitlaneError;
}

/** A one-line description of anything thrown, for logs and wrapped causes. */
export function describeUnknown(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
