/**
 * planRestore: can this savepoint be restored into this job, and how? (design.md §4)
 * Pure: it reads only its arguments, so every rule is a row in a table test.
 *
 * Order of checks: job identity and maxParallelism (nothing else matters if they
 * fail), then per operator by uid: presence, key fingerprint, each state's kind and
 * codec (Avro resolution, also for JSON state that declares a schema; JSON state
 * without one is listed as unchecked), then the key-group assignment at the new parallelism and
 * the source positions. Every problem names the operator, the state and the fix.
 */
import { ConfigError } from '../../errors.ts';
import { partitionKey } from '../../kafka/partition-key.ts';
import { assignRanges, rangeContains } from '../key-groups.ts';
import type { JobDescription, OperatorDescription } from '../snapshot/model.ts';
import { operatorHasState, type OperatorMetadata, type SavepointMetadata } from '../savepoint/metadata.ts';
import { checkCodecCompat } from './state-compat.ts';
import type { FileRead, OperatorAssignment, RestoreOptions, RestorePlan, RestoreProblem, SourceStart, StateMigration, StateNote } from './plan-types.ts';

export type * from './plan-types.ts';

const ALLOW = '--allow-non-restored-state';

interface Acc {
  problems: RestoreProblem[];
  dropped: StateNote[];
  startsEmpty: StateNote[];
  migrations: StateMigration[];
  unchecked: StateNote[];
}

function notRestored(acc: Acc, allow: boolean, note: StateNote, problem: Omit<RestoreProblem, 'fix'> & { fix?: string }): void {
  if (allow) acc.dropped.push(note);
  else acc.problems.push({ ...problem, fix: problem.fix ?? `pass ${ALLOW} to drop it, or keep the operator with uid "${note.uid}" in the new job` });
}

function checkOperator(saved: OperatorMetadata, next: OperatorDescription, allow: boolean, acc: Acc): void {
  const uid = saved.uid;
  const stateful = operatorHasState(saved);
  if (stateful && saved.keyFingerprint !== next.keyFingerprint) {
    const what =
      next.keyFingerprint === undefined ? 'is no longer keyed' : saved.keyFingerprint === undefined ? 'is now keyed but was not' : `changed its key type or keyBy selector (fingerprint ${saved.keyFingerprint} → ${next.keyFingerprint})`;
    acc.problems.push({
      code: 'KEY_CHANGED',
      uid,
      message: `Operator "${uid}" (${next.name}) ${what}: its saved state is partitioned by the old key and cannot be found under the new one.`,
      fix: `restore the old keyBy for "${uid}", or give the operator a new uid so it starts empty and pass ${ALLOW} to drop the old state`,
    });
    return;
  }
  for (const s of saved.states) {
    const n = next.states.find((d) => d.name === s.name);
    if (!n) {
      notRestored(acc, allow, { uid, state: s.name, reason: 'the new job does not declare this state' }, {
        code: 'STATE_NOT_RESTORED',
        uid,
        state: s.name,
        message: `Operator "${uid}" no longer declares state "${s.name}"; its saved values would be lost.`,
        fix: `pass ${ALLOW} to drop it, or declare state "${s.name}" in operator "${uid}" again`,
      });
      continue;
    }
    if (n.kind !== s.kind) {
      acc.problems.push({
        code: 'STATE_KIND_CHANGED',
        uid,
        state: s.name,
        message: `State "${s.name}" of operator "${uid}" changed kind from ${s.kind} to ${n.kind}.`,
        fix: `keep it a ${s.kind} state, or migrate it with the state processor (transformSavepoint) into a new savepoint`,
      });
      continue;
    }
    const pairs = [['value', s.codec, n.codec] as const, ...(s.mapKeyCodec && n.mapKeyCodec ? [['map key', s.mapKeyCodec, n.mapKeyCodec] as const] : [])];
    for (const [part, from, to] of pairs) {
      const c = checkCodecCompat(from, to);
      if (!c.ok) {
        acc.problems.push({
          code: c.code,
          uid,
          state: s.name,
          ...(c.field !== undefined ? { field: c.field } : {}),
          message: `State "${s.name}" of operator "${uid}" (${next.name}): ${part === 'value' ? '' : 'its map key: '}${c.reason}.`,
          fix: `${c.fix}; or give the operator a new uid and pass ${ALLOW} to drop its saved state (it starts empty)`,
        });
      } else if (c.unchecked !== undefined) {
        if (part === 'value') acc.unchecked.push({ uid, state: s.name, reason: c.unchecked });
      } else if (!c.identical && part === 'value') {
        acc.migrations.push({ uid, state: s.name, from, to });
      }
    }
  }
  for (const n of next.states) {
    if (!saved.states.some((s) => s.name === n.name)) acc.startsEmpty.push({ uid, state: n.name, reason: 'new state in an existing operator' });
  }
}

function assign(saved: OperatorMetadata, maxParallelism: number, parallelism: number): OperatorAssignment {
  const subtasks = assignRanges(maxParallelism, parallelism).map((range, subtask) => {
    const reads: FileRead[] = [];
    for (const f of saved.files) {
      if (f.range.end < range.start || f.range.start > range.end) continue;
      const blocks = f.blocks.filter((b) => rangeContains(range, b.keyGroup));
      if (blocks.length > 0) reads.push({ path: f.path, blocks });
    }
    return { subtask, range, reads };
  });
  return {
    uid: saved.uid,
    savedParallelism: saved.parallelism,
    parallelism,
    subtasks,
    ...(saved.operatorState ? { operatorState: saved.operatorState.path } : {}),
  };
}

function planSources(meta: SavepointMetadata, job: JobDescription, options: RestoreOptions): { sources: SourceStart[]; droppedSources: string[] } {
  const start = options.newPartitionStart ?? 'earliest';
  const inputs = new Set(job.inputTopics);
  const sources: SourceStart[] = [];
  const saved = new Map(meta.sourceOffsets.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
  for (const o of meta.sourceOffsets) if (inputs.has(o.topic)) sources.push({ topic: o.topic, partition: o.partition, from: 'savepoint', offset: o.offset });
  if (options.currentPartitions) {
    for (const tp of options.currentPartitions) {
      if (inputs.has(tp.topic) && !saved.has(partitionKey(tp.topic, tp.partition))) sources.push({ topic: tp.topic, partition: tp.partition, from: start });
    }
  } else {
    for (const t of job.inputTopics) if (!meta.sourceOffsets.some((o) => o.topic === t)) sources.push({ topic: t, from: start });
  }
  sources.sort((a, b) => (a.topic === b.topic ? (a.partition ?? -1) - (b.partition ?? -1) : a.topic < b.topic ? -1 : 1));
  const droppedSources = [...new Set(meta.sourceOffsets.map((o) => o.topic).filter((t) => !inputs.has(t)))].sort();
  return { sources, droppedSources };
}

/** Plans restoring `meta` into `job`. Never throws for an incompatible pair: it returns the problems. */
export function planRestore(meta: SavepointMetadata, job: JobDescription, options: RestoreOptions = {}): RestorePlan {
  const allow = options.allowNonRestoredState ?? false;
  const acc: Acc = { problems: [], dropped: [], startsEmpty: [], migrations: [], unchecked: [] };
  const base = { savepointJob: meta.job, job: { name: job.name, version: job.version }, maxParallelism: meta.maxParallelism };
  const done = (assignments: OperatorAssignment[], src: { sources: SourceStart[]; droppedSources: string[] }): RestorePlan => ({
    compatible: acc.problems.length === 0,
    ...base,
    ...acc,
    assignments,
    ...src,
  });

  if (meta.job.name !== job.name) {
    acc.problems.push({
      code: 'JOB_MISMATCH',
      message: `The savepoint belongs to job "${meta.job.name}", not "${job.name}".`,
      fix: `restore "${job.name}" from one of its own savepoints; to start it from "${meta.job.name}"'s state on purpose, migrate the savepoint with the state processor`,
    });
    return done([], { sources: [], droppedSources: [] });
  }
  if (meta.maxParallelism !== job.maxParallelism) {
    acc.problems.push({
      code: 'MAX_PARALLELISM_CHANGED',
      message: `maxParallelism changed from ${meta.maxParallelism} to ${job.maxParallelism}; keyed state is partitioned into exactly ${meta.maxParallelism} key groups.`,
      fix: `set maxParallelism back to ${meta.maxParallelism} in job "${job.name}" (it can never change for a job with state)`,
    });
    return done([], { sources: [], droppedSources: [] });
  }
  if (options.parallelism !== undefined) {
    try {
      assignRanges(meta.maxParallelism, options.parallelism);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      acc.problems.push({ code: 'BAD_PARALLELISM', message: e.message, fix: e.hint ?? `choose --parallelism from 1 to ${meta.maxParallelism}` });
      return done([], { sources: [], droppedSources: [] });
    }
  }

  const assignments: OperatorAssignment[] = [];
  for (const saved of meta.operators) {
    const next = job.operators.find((o) => o.uid === saved.uid);
    if (!next) {
      if (operatorHasState(saved)) {
        notRestored(acc, allow, { uid: saved.uid, reason: 'the new job has no operator with this uid' }, {
          code: 'STATE_NOT_RESTORED',
          uid: saved.uid,
          message: `The savepoint holds state of operator "${saved.uid}" (${saved.name}), which the new job does not have; that state would be lost.`,
        });
      }
      continue;
    }
    const before = acc.problems.length;
    checkOperator(saved, next, allow, acc);
    if (acc.problems.length === before && operatorHasState(saved)) assignments.push(assign(saved, meta.maxParallelism, options.parallelism ?? saved.parallelism));
  }
  for (const next of job.operators) {
    if (next.states.length > 0 && !meta.operators.some((o) => o.uid === next.uid)) acc.startsEmpty.push({ uid: next.uid, reason: 'new stateful operator' });
  }
  return done(assignments, planSources(meta, job, options));
}
