/**
 * The deployment spec (YAML, see deploy/): what to upgrade, how to judge it, how
 * to promote it. Validated at the edge; inner code gets a `DeploymentSpec` with
 * every default filled in and every duration in milliseconds.
 */
import type { Delivery, FlinkJobRef } from '../../engines/adapter.ts';
import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';
import { checkpointsSchema, jobRecoveryOf, restartSchema } from './recovery.ts';
import { confirmSchema, notifySchema } from './notify.ts';

/** A duration string (`30s`, `5m`) turned into milliseconds, with a message naming the bad text. */
const duration = (what: string) =>
  z.string({ error: `${what} must be a duration string such as "30s" or "5m"` }).transform((text, ctx) => {
    const r = parseDuration(text);
    if ('error' in r) {
      ctx.addIssue({ code: 'custom', message: `${what} ${r.error}` });
      return z.NEVER;
    }
    return r.ms;
  });

const topicName = z
  .string()
  .min(1, 'a topic name cannot be empty')
  .max(249, 'Kafka topic names are at most 249 characters')
  .regex(/^[a-zA-Z0-9._-]+$/, 'Kafka topic names may contain only letters, digits, ".", "_" and "-"');

const engine = z.enum(['embedded', 'flink'], { error: 'engine must be "embedded" or "flink"' });

/** A Flink job's name: its jar, main class and program arguments (engines/flink/args.ts lists the placeholders). */
const flinkJobKeys = {
  jar: z.string().min(1).optional(),
  entryClass: z.string().regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, 'entryClass must be a Java class name such as com.example.FraudJob').optional(),
  args: z.array(z.string()).optional(),
  /** Flink configuration for this job's runs (the run request's flinkConfiguration), e.g. its restart strategy. */
  flinkConfiguration: z
    .record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]), { error: 'flinkConfiguration maps Flink option keys to values, e.g. { restart-strategy.type: fixed-delay }' })
    .transform((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, String(v)])))
    .optional(),
};

/** Deployment names are store keys, job-id prefixes and file names: keep them plain. */
const deploymentName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'a deployment name is 1–100 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');

const startSchema = z.preprocess(
  // `start: latest` is shorthand for `start: { from: latest }`.
  (v) => (typeof v === 'string' ? { from: v } : v),
  z.discriminatedUnion(
    'from',
    [
      z.strictObject({ from: z.literal('savepoint') }),
      z.strictObject({ from: z.literal('earliest') }),
      z.strictObject({ from: z.literal('latest') }),
      z.strictObject({
        from: z.literal('timestamp'),
        timestamp: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })], {
          error: 'start.timestamp must be epoch milliseconds or an ISO-8601 date-time such as 2026-01-01T00:00:00Z',
        }),
      }),
    ],
    { error: 'start.from must be one of: savepoint (default), earliest, latest, timestamp' },
  ),
);

const analysisSchema = z.strictObject({
  window: duration('analysis.window').prefault('10s'),
  /** Grace after a window's end before it is judged (late records). */
  grace: duration('analysis.grace').prefault('2s'),
  minimum: z
    .strictObject({
      duration: duration('analysis.minimum.duration').prefault('30s'),
      windows: z.number().int().min(1, 'analysis.minimum.windows must be at least 1').prefault(3),
      records: z.number().int().nonnegative().prefault(1000),
    })
    .prefault({}),
  /**
   * Checks and their thresholds, and the differences the new version is expected
   * to make. Their shape belongs to the comparator (src/compare/config.ts), which
   * validates them against its registry of check types; here they pass through.
   */
  checks: z.array(z.record(z.string(), z.unknown())).prefault([]),
  expected: z.array(z.record(z.string(), z.unknown())).prefault([]),
  /**
   * Run a second copy of the authoritative job (forked like the candidate) to
   * measure the noise floor: a difference is reported only when it is larger
   * than two copies of the same version show.
   */
  noiseReplica: z.boolean().prefault(false),
  /** Where the noise replica writes; default `<candidate.canary>.noise`, created at `canary start` if missing. */
  noiseTopic: topicName.optional(),
});

const promotionSchema = z.strictObject({
  strategy: z.enum(['savepoint-handoff', 'cutover'], { error: 'promotion.strategy must be "savepoint-handoff" or "cutover"' }).prefault('savepoint-handoff'),
  /** savepoint-handoff only: warm keeps the candidate's shadow state; cold restores from the authoritative savepoint. */
  mode: z.enum(['warm', 'cold'], { error: 'promotion.mode must be "warm" or "cold"' }).optional(),
  auto: z.boolean().prefault(false),
  /** cutover only: the consumer groups of the authoritative topic that move to the canary topic. */
  downstreamGroups: z.array(z.string().min(1)).prefault([]),
  /** cutover only: how long to wait for each downstream group to become empty. */
  groupEmptyTimeout: duration('promotion.groupEmptyTimeout').prefault('60s'),
  /** cutover only: apply offsets to a group that still has members (it will see a rebalance). */
  force: z.boolean().prefault(false),
  /** A hook that must answer 2xx before any promotion step runs (notify.ts); `canary promote --skip-confirm REASON` bypasses it. */
  confirm: confirmSchema.optional(),
});

/**
 * The output guarantee of every job the deployment runs (authoritative via
 * `canary launch`, candidate, promoted, rollback). `delivery: at-least-once` is
 * shorthand for `{ mode: at-least-once }`. Validated, it is the engines' own
 * `Delivery` (the interval in milliseconds), so no caller converts it.
 */
const deliverySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { mode: v } : v),
  z
    .strictObject({
      mode: z.enum(['exactly-once', 'at-least-once'], { error: 'delivery.mode must be "exactly-once" (default) or "at-least-once"' }).prefault('exactly-once'),
      /** exactly-once: output becomes visible at each commit; a transaction may stay open at most ~60 s. */
      commitInterval: duration('delivery.commitInterval')
        .refine((ms) => ms >= 10 && ms <= 30_000, 'delivery.commitInterval must be from 10ms to 30s (a transaction stays open until its commit; Kafka aborts one open longer than 60s)')
        .prefault('500ms'),
    })
    .transform((d): Required<Delivery> => ({ mode: d.mode, commitIntervalMs: d.commitInterval })),
);

/**
 * The savepoint history of the deployment's jobs (the Flink Kubernetes Operator's
 * savepoint history max count / max age, and its periodic savepoint interval).
 * Retention is applied by the orchestrator after each savepoint it takes, and by
 * `pitlane savepoint dispose --past-retention --spec`; `interval` is the period of
 * `pitlane savepoint trigger --spec` (a process of its own; nothing else triggers).
 */
const savepointsSchema = z.strictObject({
  keepLast: z.number({ error: 'savepoints.keepLast must be a whole number' }).int('savepoints.keepLast must be a whole number').min(1, 'savepoints.keepLast must be at least 1: the newest savepoint of a job is always kept').optional(),
  maxAge: duration('savepoints.maxAge').optional(),
  interval: duration('savepoints.interval').refine((ms) => ms >= 1000, 'savepoints.interval must be at least 1s').optional(),
});

export const deploymentSpecSchema = z
  .strictObject({
    name: deploymentName,
    inputs: z.array(topicName).min(1, 'inputs must name at least one input topic'),
    authoritative: z.strictObject({
      /** embedded: the job module. flink: absent (the jar names the job). */
      job: z.string().min(1, 'authoritative.job is the path of the running job module, e.g. examples/fraud/v1.ts').optional(),
      ...flinkJobKeys,
      version: z.string().min(1),
      output: topicName,
      engine: engine.prefault('embedded'),
      /** The engine's id of the running job; defaults to the deployment name. */
      jobId: z.string().min(1).optional(),
    }),
    candidate: z.strictObject({
      job: z.string().min(1, 'candidate.job is the path of the new job module, e.g. examples/fraud/v2.ts').optional(),
      ...flinkJobKeys,
      version: z.string().min(1).optional(),
      canary: topicName,
      parallelism: z.number().int().min(1, 'candidate.parallelism must be at least 1'),
      engine: engine.optional(),
      /** Restore even if some savepoint state has no operator in the new job. */
      allowNonRestoredState: z.boolean().prefault(false),
    }),
    start: startSchema.prefault({ from: 'savepoint' }),
    analysis: analysisSchema.prefault({}),
    promotion: promotionSchema.prefault({}),
    rollback: z.strictObject({ keepSavepoint: z.boolean().prefault(true) }).prefault({}),
    delivery: deliverySchema.prefault({}),
    savepoints: savepointsSchema.prefault({}),
    /** Embedded jobs: checkpoints, and restarts from the latest one after a crash (recovery.ts). */
    checkpoints: checkpointsSchema.prefault('off'),
    /** Default: exponential-delay when checkpoints are on, none when off. */
    restart: restartSchema.optional(),
    /** Where the Flink jobs run: the JobManager's REST endpoint (a --flink-rest flag overrides it; else FLINK_REST_URL, else the local dev cluster). */
    flink: z.strictObject({ rest: z.url({ error: 'flink.rest must be a URL such as http://flink-jobmanager:8081' }) }).optional(),
    /** Webhooks told of the lifecycle events (notify.ts; delivered by src/orchestrator/notify/). */
    notify: notifySchema.prefault([]),
  })
  .superRefine((spec, ctx) => {
    // Rules across keys; each issue points at the key that has to change.
    for (const role of ['authoritative', 'candidate'] as const) jobKeyIssues(spec, role, ctx);
    crossEngineIssues(spec, ctx);
    if (spec.candidate.canary === spec.authoritative.output) {
      ctx.addIssue({ code: 'custom', path: ['candidate', 'canary'], message: 'the canary topic must differ from the authoritative output topic, or the candidate would write into the trusted stream' });
    }
    if (spec.inputs.includes(spec.candidate.canary) || spec.inputs.includes(spec.authoritative.output)) {
      ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'an input topic cannot also be an output (canary or authoritative) topic' });
    }
    if (!spec.checkpoints && spec.restart !== undefined && spec.restart.strategy !== 'none') {
      ctx.addIssue({ code: 'custom', path: ['restart'], message: 'a restart needs checkpoints to restart from (without them a restarted job would repeat or lose output); remove `checkpoints: off`, or write `restart: none`' });
    }
    if (new Set(spec.inputs).size !== spec.inputs.length) {
      ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'an input topic is listed twice' });
    }
    if (spec.analysis.noiseTopic !== undefined && !spec.analysis.noiseReplica) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'noiseTopic'], message: 'noiseTopic is set but noiseReplica is false; set noiseReplica: true, or remove noiseTopic' });
    }
    const noise = spec.analysis.noiseReplica ? (spec.analysis.noiseTopic ?? defaultNoiseTopic(spec.candidate.canary)) : undefined;
    if (noise !== undefined && (noise === spec.authoritative.output || noise === spec.candidate.canary || spec.inputs.includes(noise))) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'noiseTopic'], message: 'the noise topic must differ from the inputs, the authoritative output and the canary topic: the replica would write into a stream that is read or trusted' });
    }
    const p = spec.promotion;
    if (p.strategy === 'cutover' && p.downstreamGroups.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['promotion', 'downstreamGroups'], message: 'cutover needs at least one downstream consumer group to move to the canary topic' });
    }
    if (p.strategy === 'cutover' && p.mode !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['promotion', 'mode'], message: 'mode (warm|cold) applies to savepoint-handoff only; remove it for cutover' });
    }
    // A warm handoff keeps the state the candidate built while shadowing; that
    // state is complete only if it started from the authoritative state (a fork)
    // or from the very beginning of the input.
    if (p.mode === 'warm' && (spec.start.from === 'latest' || spec.start.from === 'timestamp')) {
      ctx.addIssue({ code: 'custom', path: ['promotion', 'mode'], message: `a warm handoff needs the candidate's state to be complete, but start.from is "${spec.start.from}"; use mode: cold (restore from the authoritative savepoint) or start from savepoint` });
    }
  })
  .transform(({ checkpoints, restart, ...spec }) => ({
    ...spec,
    recovery: jobRecoveryOf(checkpoints, restart ?? (checkpoints ? restartSchema.parse({ strategy: 'exponential-delay' }) : { strategy: 'none' as const })),
    // `job` is the artifact every engine starts: the module, or the Flink jar (with `flink` beside it).
    authoritative: { ...spec.authoritative, ...jobOf(spec.authoritative), jobId: spec.authoritative.jobId ?? spec.name },
    candidate: { ...spec.candidate, ...jobOf(spec.candidate), engine: spec.candidate.engine ?? spec.authoritative.engine },
    // The noise topic is named only when a replica runs, so `noiseTopic !== undefined` means "on".
    analysis: { ...spec.analysis, noiseTopic: spec.analysis.noiseReplica ? (spec.analysis.noiseTopic ?? defaultNoiseTopic(spec.candidate.canary)) : undefined },
    start: spec.start.from === 'timestamp' ? { from: 'timestamp' as const, timestamp: toEpochMs(spec.start.timestamp) } : spec.start,
    promotion: {
      ...spec.promotion,
      // Warm is the default when a shadow ran from complete state (design.md §1.6).
      // (cold on Flink: only the embedded engine can hold a job for the warm handoff)
      mode: spec.promotion.strategy === 'cutover' ? undefined : (spec.promotion.mode ?? (usesFlink(spec) ? 'cold' : defaultMode(spec.start.from))),
    },
  }));

/** `job` for an embedded job; `jar` + `entryClass` (+ `args`) for a Flink job. */
function jobKeyIssues(spec: { authoritative: RoleKeys & { engine: string }; candidate: RoleKeys & { engine?: string | undefined } }, role: 'authoritative' | 'candidate', ctx: z.RefinementCtx): void {
  const r = spec[role];
  const kind = role === 'candidate' ? (spec.candidate.engine ?? spec.authoritative.engine) : spec.authoritative.engine;
  const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [role, key], message });
  if (kind === 'flink') {
    if (r.job !== undefined) issue('job', `a Flink job is named by jar and entryClass, not job; write ${role}.jar: path/to/job.jar and ${role}.entryClass: com.example.Main`);
    if (r.jar === undefined) issue('jar', `${role}.jar is the path of the Flink job's jar (engine: flink)`);
    if (r.entryClass === undefined) issue('entryClass', `${role}.entryClass is the main class of the Flink job (engine: flink)`);
    return;
  }
  if (r.job === undefined) issue('job', `${role}.job is the path of the job module, e.g. examples/fraud/${role === 'candidate' ? 'v2' : 'v1'}.ts`);
  for (const key of ['jar', 'entryClass', 'args', 'flinkConfiguration'] as const) if (r[key] !== undefined) issue(key, `${key} names a Flink job; this job runs on the embedded engine (write engine: flink to run it on Flink)`);
}

/** One deployment may run its two jobs on two engines, but state does not cross engines. */
function crossEngineIssues(spec: { authoritative: { engine: string }; candidate: { engine?: string | undefined }; start: { from: string }; promotion: { strategy: string } }, ctx: z.RefinementCtx): void {
  const [a, c] = [spec.authoritative.engine, spec.candidate.engine ?? spec.authoritative.engine];
  if (a === c) return;
  if (spec.start.from === 'savepoint') {
    ctx.addIssue({ code: 'custom', path: ['start'], message: `the candidate (${c}) cannot fork from a savepoint of the authoritative job (${a}): savepoints do not cross engines; start it from earliest, latest or a timestamp` });
  }
  if (spec.promotion.strategy === 'savepoint-handoff') {
    ctx.addIssue({ code: 'custom', path: ['promotion', 'strategy'], message: `a savepoint handoff restores the ${a} job's savepoint into the ${c} job, and savepoints do not cross engines; use strategy: cutover` });
  }
}

interface RoleKeys {
  readonly job?: string | undefined;
  readonly jar?: string | undefined;
  readonly entryClass?: string | undefined;
  readonly args?: readonly string[] | undefined;
  readonly flinkConfiguration?: Readonly<Record<string, string>> | undefined;
}

/** The artifact a role starts (`job`), and for a Flink job its entry class and arguments (`flink`). */
function jobOf(r: RoleKeys): { job: string; flink?: FlinkJobRef } {
  if (r.jar !== undefined && r.entryClass !== undefined) return { job: r.jar, flink: { entryClass: r.entryClass, ...(r.args ? { args: r.args } : {}), ...(r.flinkConfiguration ? { flinkConfiguration: r.flinkConfiguration } : {}) } };
  return { job: r.job ?? '' };
}

/** `<canary>.noise`, cut to Kafka's 249-character limit. */
export function defaultNoiseTopic(canary: string): string {
  return `${canary.slice(0, 249 - '.noise'.length)}.noise`;
}

function toEpochMs(ts: number | string): number {
  return typeof ts === 'number' ? ts : Date.parse(ts);
}

function usesFlink(spec: { authoritative: { engine: string }; candidate: { engine?: string | undefined } }): boolean {
  return spec.authoritative.engine === 'flink' || spec.candidate.engine === 'flink';
}

function defaultMode(from: 'savepoint' | 'earliest' | 'latest' | 'timestamp'): 'warm' | 'cold' {
  return from === 'savepoint' || from === 'earliest' ? 'warm' : 'cold';
}

/** A validated deployment spec with every default filled in (durations in ms). */
export type DeploymentSpec = z.output<typeof deploymentSpecSchema>;
/** The spec as written in YAML (durations as strings, defaults optional). */
export type DeploymentSpecInput = z.input<typeof deploymentSpecSchema>;
