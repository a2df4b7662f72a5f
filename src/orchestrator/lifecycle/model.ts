/**
 * A deployment is a state machine (design.md §6). These are its data: the record
 * the store keeps (one per revision), the events that move it, and the effects a
 * transition asks the controller to perform. Effects are data, never calls, so
 * the transition function stays pure and a crashed controller can re-issue them.
 */
import type { DeploymentSpec } from '../spec/schema.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import type { FlinkJobRef, PreflightReport, SavepointResult, InputStart } from '../../engines/adapter.ts';

export const PHASES = [
  'Pending', 'Forking', 'Shadowing', 'Analyzing', 'Passed', 'Failed', 'Inconclusive', 'Promoting', 'Promoted', 'Aborted', 'RolledBack',
] as const;
export type Phase = (typeof PHASES)[number];

export type Role = 'authoritative' | 'candidate';

export type Effect =
  /** Savepoint of the running authoritative job; it keeps running. */
  | { readonly type: 'triggerSavepoint'; readonly jobId: string }
  | { readonly type: 'preflight'; readonly savepoint: string; readonly job: string; readonly flink?: FlinkJobRef; readonly parallelism: number; readonly allowNonRestoredState: boolean }
  | {
      readonly type: 'startJob';
      readonly jobId: string;
      readonly job: string;
      /** A Flink job's entry class and arguments (its jar is `job`). */
      readonly flink?: FlinkJobRef;
      readonly parallelism?: number;
      readonly from: { readonly savepoint: string; readonly allowNonRestoredState?: boolean } | { readonly input: InputStart };
      readonly sinkTopic: string;
      readonly identity: string;
      /** Restore, then hold before reading input (a `runUntil` follows and sets the limit). */
      readonly holdAtStart?: boolean;
    }
  | { readonly type: 'startAnalysis' }
  | { readonly type: 'stopAnalysis' }
  /** `keep`: why the savepoint is kept — for a rollback, or for debugging an aborted candidate. */
  | { readonly type: 'stopWithSavepoint'; readonly jobId: string; readonly keep: 'rollback' | 'debug' }
  | { readonly type: 'cancelJob'; readonly jobId: string }
  /**
   * Stops the noise replica (a no-op if it is not running). Its own type, not a
   * cancelJob, so a promotion's or rollback's plan can tell it from its own steps.
   */
  | { readonly type: 'stopNoiseReplica'; readonly jobId: string }
  /** Bring every listed job to the same input offsets (the furthest position of any), then hold them. */
  | { readonly type: 'alignJobs'; readonly jobIds: readonly string[] }
  /** Run one job up to the offsets where another stopped, then hold (rollback catch-up). */
  | { readonly type: 'runUntil'; readonly jobId: string; readonly offsets: readonly TopicPartitionOffset[] }
  | { readonly type: 'switchSink'; readonly jobId: string; readonly to: string }
  /**
   * The warm handoff as ONE step: hold both jobs, run the one behind up to the
   * other, fence the held old job's sink onto `fence` (the canary topic), switch
   * the candidate's sink to `to`, then stop the old one with a savepoint of its
   * state frozen at the hold (kept for rollback) — off the pit stop's path. One step because every store append between these
   * actions would be time with no job writing; each sub-action is still
   * idempotent by its own requestId, so a resumed step repeats none of them.
   */
  | { readonly type: 'warmHandoff'; readonly from: string; readonly to: string; readonly jobId: string; readonly fence: string }
  /**
   * Pre-starts the job a cold handoff will start: process up, module loaded, Kafka
   * clients connected, producer initialised — reading and writing nothing — while
   * the old job still runs, so the pit stop is left with only the restore.
   */
  | { readonly type: 'prepareStandby'; readonly jobId: string; readonly job: string; readonly parallelism?: number; readonly sinkTopic: string; readonly identity: string }
  /**
   * Restores the standby ahead of the stop: a savepoint of the old job that starts
   * tracking its changed keys (the old job keeps running), restored into the standby,
   * which stays paused. The cold handoff then hands over only the changes since.
   */
  | { readonly type: 'restoreStandby'; readonly from: string; readonly standby: { readonly jobId: string; readonly job: string; readonly parallelism?: number; readonly sinkTopic: string; readonly identity: string; readonly allowNonRestoredState: boolean } }
  /**
   * The cold handoff as ONE step (for the reason warmHandoff is one): stop the old
   * job with a savepoint (kept for rollback), then start \`start.jobId\` from it —
   * activating its standby if one waits, else starting it anew. The new job is
   * started only after the old one has stopped, so there is never a second writer.
   * With `base` (the standby restored it, restoreStandby): the old job stops with a
   * delta since the base, the standby applies it and starts, and the full savepoint
   * is written after; whatever makes the delta unusable falls back to the full one.
   */
  | {
      readonly type: 'coldHandoff';
      readonly from: string;
      readonly base?: string;
      readonly start: { readonly jobId: string; readonly job: string; readonly flink?: FlinkJobRef; readonly parallelism?: number; readonly sinkTopic: string; readonly identity: string; readonly allowNonRestoredState: boolean };
    }
  | {
      readonly type: 'cutoverGroups';
      readonly groups: readonly string[];
      readonly from: string;
      readonly to: string;
      readonly force: boolean;
      readonly timeoutMs: number;
    };

export type EffectType = Effect['type'];

export interface GroupCutover {
  readonly groupId: string;
  readonly offsets: readonly TopicPartitionOffset[];
  readonly forced: boolean;
}

/** What a completed effect reports back; the transition reads the part its effect type produces. */
export interface EffectResult {
  readonly savepoint?: SavepointResult;
  readonly report?: PreflightReport;
  readonly jobId?: string;
  readonly positions?: readonly TopicPartitionOffset[];
  readonly lastOutputAt?: number;
  readonly firstOutputAt?: number;
  /** Warm handoff: when the old job's sink was fenced off the authoritative topic. */
  readonly fencedAt?: number;
  /** Cold handoff: whether a pre-started standby took over (false: it was gone, a new process started). */
  readonly standby?: boolean;
  /** Cold handoff with a restored base: the delta handed over (absent: the full savepoint was restored, and why). */
  readonly delta?: { readonly applied: boolean; readonly keys: number; readonly location?: string; readonly base?: string; readonly reason?: string };
  /** Cold handoff: when the old job had stopped (its last output committed). */
  readonly stoppedAt?: number;
  readonly groups?: readonly GroupCutover[];
  /** Epoch ms when the effect completed (controller clock). */
  readonly at?: number;
}

export interface PendingEffect {
  /** `${name}@${revision}#${index}`: the idempotency key of the effect (engine requestId). */
  readonly id: string;
  readonly effect: Effect;
}

export interface StepRecord {
  readonly id: string;
  readonly type: EffectType;
  readonly result: EffectResult;
}

export type VerdictStatus = 'pass' | 'fail' | 'inconclusive';

export interface PitStop {
  /** Last output of the old job → first output of the new one, on the authoritative topic (ms). */
  readonly outputGapMs?: number;
  /** From the old job's stop to the new job writing (ms): no job was writing. */
  readonly noWriterMs?: number;
}

/**
 * How a deployment will be promoted (and rolled back), chosen at create from its
 * spec and what its engines can do (plans.ts). `fast`: the cold handoff prepares
 * the new job as a standby that restores ahead, and hands over a delta at the stop.
 */
export type PromotionPlan =
  | { readonly strategy: 'cutover' }
  | { readonly strategy: 'savepoint-handoff'; readonly mode: 'warm' }
  | {
      readonly strategy: 'savepoint-handoff';
      readonly mode: 'cold';
      readonly fast: boolean;
      /**
       * The authoritative engine cannot hold a job at offsets (Flink): a rollback
       * restarts the old version on the authoritative topic at the kept savepoint's
       * offsets, so the input the new version handled is handled again (plans.ts).
       */
      readonly replayRollback?: boolean;
    };

export interface Deployment {
  readonly name: string;
  /** Monotonic, +1 per stored transition; the store refuses any other next revision. */
  readonly revision: number;
  /** +1 each time the name is reused for a new deployment after a finished one. */
  readonly generation: number;
  readonly phase: Phase;
  readonly spec: DeploymentSpec;
  /** Absent in records written before plans were recorded: see planOf (plans.ts). */
  readonly plan?: PromotionPlan;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Engine job ids; `live` is the job that writes the authoritative topic now. */
  readonly jobs: { readonly authoritative: string; readonly candidate: string; readonly live: string };
  /** The topic downstream consumers should read (changes on cutover). */
  readonly activeTopic: string;
  readonly fork?: { readonly savepoint: SavepointResult };
  readonly preflight?: PreflightReport;
  readonly minimumReachedAt?: number;
  readonly verdict?: { readonly status: VerdictStatus; readonly at: number; readonly report?: string; readonly reason?: string };
  readonly promotion?: {
    readonly strategy: 'cutover' | 'savepoint-handoff';
    readonly mode?: 'warm' | 'cold';
    readonly auto: boolean;
    readonly override?: { readonly reason: string };
    readonly startedAt: number;
    readonly steps: readonly StepRecord[];
    readonly rollbackSavepoint?: SavepointResult;
    readonly completedAt?: number;
    readonly pitStop?: PitStop;
  };
  readonly rollback?: { readonly at: number; readonly reason?: string; readonly steps: readonly StepRecord[]; readonly completedAt?: number };
  readonly abort?: { readonly at: number; readonly reason: string; readonly by: 'user' | 'auto' | 'preflight' | 'error'; readonly debugSavepoint?: SavepointResult };
  /** Effects asked for and not yet reported done, in order; the controller performs the first. */
  readonly pending: readonly PendingEffect[];
  readonly lastError?: { readonly effectId: string; readonly code: string; readonly message: string; readonly retriable: boolean; readonly at: number };
}

export type DeploymentEvent =
  | { readonly type: 'start' }
  | { readonly type: 'effectDone'; readonly id: string; readonly result: EffectResult }
  | { readonly type: 'effectFailed'; readonly id: string; readonly error: { readonly code: string; readonly message: string; readonly retriable: boolean } }
  | { readonly type: 'minimumReached' }
  /**
   * `held`: a pass under `promotion.auto` whose confirm hook did not approve (notify/confirm.ts);
   * it is recorded as Passed instead of promoting, and the shadow supervisor asks again.
   */
  | { readonly type: 'verdict'; readonly status: VerdictStatus; readonly report?: string; readonly reason?: string; readonly held?: string }
  /**
   * `override` promotes a Failed or Inconclusive candidate; the reason is recorded.
   * `skipConfirm` promotes without asking the spec's confirm hook; the reason is recorded.
   */
  | { readonly type: 'promote'; readonly override?: { readonly reason: string }; readonly skipConfirm?: { readonly reason: string }; readonly by?: string }
  | { readonly type: 'abort'; readonly reason: string; readonly by?: string }
  | { readonly type: 'rollback'; readonly reason?: string; readonly by?: string };

/**
 * `by` on a manual command: who asked for it (`alice via dashboard`, `bob via cli`).
 * The transition ignores it; the store keeps it with the event in the deployment's
 * history (TransitionEntry.event), which is where the timeline reads who did what.
 */
export type ManualEvent = Extract<DeploymentEvent, { readonly type: 'promote' | 'abort' | 'rollback' }>;

export type Refusal = { readonly ok: false; readonly code: string; readonly reason: string; readonly hint: string };
export type TransitionResult = { readonly ok: true; readonly next: Deployment; readonly effects: readonly Effect[] } | Refusal;

/** One entry of a deployment's history: the event and the record it produced. */
export interface TransitionEntry {
  readonly name: string;
  readonly revision: number;
  readonly at: number;
  readonly from: Phase | null;
  readonly to: Phase;
  readonly event: DeploymentEvent | { readonly type: 'create' };
  readonly record: Deployment;
}

export const TERMINAL: readonly Phase[] = ['Aborted', 'RolledBack'];

/** A fresh deployment record (not yet stored) for a validated spec and the plan its engines can carry out. */
export function newDeployment(spec: DeploymentSpec, now: number, previous?: Deployment, plan?: PromotionPlan): Deployment {
  return {
    name: spec.name,
    revision: (previous?.revision ?? 0) + 1,
    generation: (previous?.generation ?? 0) + 1,
    phase: 'Pending',
    spec,
    ...(plan ? { plan } : {}),
    createdAt: now,
    updatedAt: now,
    jobs: { authoritative: spec.authoritative.jobId, candidate: `${spec.name}.candidate`, live: spec.authoritative.jobId },
    activeTopic: spec.authoritative.output,
    pending: [],
  };
}

/**
 * The noise replica of a deployment, if its spec asks for one: a second copy of
 * the authoritative version, forked like the candidate, writing its own topic.
 * Derived from the spec (not stored), so every controller agrees on its job id.
 */
export function noiseReplicaOf(d: Pick<Deployment, 'name' | 'spec'>): { readonly jobId: string; readonly topic: string } | undefined {
  const a = d.spec.analysis;
  if (!a.noiseReplica || a.noiseTopic === undefined) return undefined;
  return { jobId: `${d.name}.noise`, topic: a.noiseTopic };
}

/** A role's Flink entry class and arguments, to spread into the effects that start or preflight its job. */
export function flinkRefOf(role: { readonly flink?: FlinkJobRef | undefined }): { readonly flink?: FlinkJobRef } {
  return role.flink ? { flink: role.flink } : {};
}

/**
 * Which role's version (and so which engine) a job of the deployment runs: the
 * candidate and the job a cold handoff promotes run the candidate's; the
 * authoritative job, its noise replica and its rollback restart run the authoritative one's.
 */
export function roleOfJob(d: Pick<Deployment, 'name' | 'jobs'>, jobId: string): Role {
  return jobId === d.jobs.candidate || jobId === `${d.name}.promoted` ? 'candidate' : 'authoritative';
}

/** The consumer/transactional identity of a job the orchestrator starts. */
export function identityOf(name: string, jobId: string): string {
  return `pitlane.${name}.${jobId}`;
}
