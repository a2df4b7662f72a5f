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

/**
 * An error as JSON, to cross a process or thread boundary (the job control
 * channel, the comparator's worker). `error` names the class; anything that is
 * not a PitlaneError travels as `InternalError` with code INTERNAL.
 */
export interface SerializedError {
  readonly error: string;
  readonly code: string;
  readonly message: string;
  readonly retriable: boolean;
  readonly hint?: string;
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

  toJSON(): SerializedError {
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

/** An engine adapter or a job host failed or refused (start, stop with savepoint, hold, standby, delta). */
export class EngineError extends PitlaneError {}

/** The durable deployment store failed or refused an append (stale revision, lock, corrupt log, write). */
export class StoreError extends PitlaneError {}

/** A job stopped because a bad record met the `fail` dead-letter policy, or a sink could not write. */
export class JobFailedError extends PitlaneError {}

export function isPitlaneError(e: unknown): e is PitlaneError {
  return e instanceof PitlaneError;
}

/** A one-line description of anything thrown, for logs and wrapped causes. */
export function describeUnknown(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export const INTERNAL_ERROR = 'InternalError';

export function serializeError(e: unknown): SerializedError {
  if (e instanceof PitlaneError) return e.toJSON();
  return { error: INTERNAL_ERROR, code: 'INTERNAL', message: describeUnknown(e), retriable: false };
}

type ErrorClass = new (code: string, message: string, details?: ErrorDetails) => PitlaneError;

/** Every class errorFromJSON can rebuild, by name: the hierarchy above, nothing else. */
const ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map(
  [PitlaneError, ConfigError, DevEnvError, KafkaError, SerdeError, JobDefinitionError, SavepointFormatError, RestoreIncompatibleError, ComparisonError, PromotionError, EngineError, StoreError, JobFailedError].map((c) => [c.name, c]),
);

/**
 * The error a SerializedError describes, rebuilt as the same class (so
 * `instanceof` holds on this side of the boundary) with its code, message, hint,
 * retriable flag and data. A class this side does not know, an InternalError
 * included, comes back as a plain PitlaneError with the same code.
 */
export function errorFromJSON(json: Partial<SerializedError> | undefined): PitlaneError {
  const Class = ERROR_CLASSES.get(json?.error ?? '') ?? PitlaneError;
  return new Class(json?.code ?? 'INTERNAL', json?.message ?? 'unknown error', {
    retriable: json?.retriable ?? false,
    ...(json?.hint !== undefined ? { hint: json.hint } : {}),
    ...(json?.data !== undefined ? { data: json.data } : {}),
  });
}
