/**
 * `defineJob` and what can be derived from a definition without running it:
 * the built graph (buildJob) and the description restore planning needs (describeJob).
 */
import { JobDefinitionError } from '../../errors.ts';
import { MAX_MAX_PARALLELISM, MIN_MAX_PARALLELISM } from '../key-groups.ts';
import type { JobDescription, OperatorDescription, StateDescriptorSpec } from '../snapshot/model.ts';
import { Builder, itemsNode, sourceNode, type DataStream, type ItemsSourceOptions, type KafkaSourceOptions } from './streams.ts';
import { operatorKindOf, type GraphNode, type JobGraph } from './graph.ts';

export interface JobEnv {
  fromKafka<T>(options: KafkaSourceOptions<T>): DataStream<T>;
  /** A bounded in-process source (tests, benchmarks); emits a final watermark at its end. */
  fromItems<T>(options: ItemsSourceOptions<T>): DataStream<T>;
  /** A job parameter (`pitlane run --param name=value`), or the fallback. */
  param(name: string, fallback?: string): string;
  /** A numeric job parameter. */
  numberParam(name: string, fallback: number): number;
}

export interface DeadLetterPolicy {
  /** `dlq` (default): bad records go to the dead-letter topic and the job goes on; `fail`: the job stops. */
  readonly policy: 'dlq' | 'fail';
  /** Default `<job name>.dlq`. */
  readonly topic?: string;
}

export interface JobSpec {
  readonly name: string;
  readonly version: string;
  /** Number of key groups; fixed for the life of the job's state (1..32768). */
  readonly maxParallelism: number;
  readonly deadLetters?: DeadLetterPolicy;
  build(env: JobEnv): void;
}

const JOB = Symbol.for('pitlane.job');

export interface JobDefinition extends JobSpec {
  readonly [JOB]: true;
}

export function defineJob(spec: JobSpec): JobDefinition {
  if (typeof spec.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(spec.name)) {
    throw new JobDefinitionError('JOB_BAD_NAME', `Job name ${JSON.stringify(spec.name)} is not valid.`, { hint: 'Use letters, digits, ".", "_" and "-".' });
  }
  if (typeof spec.version !== 'string' || spec.version === '') throw new JobDefinitionError('JOB_BAD_VERSION', `Job ${spec.name} has no version.`, { hint: 'Set version: "1" (any non-empty string).' });
  if (!Number.isInteger(spec.maxParallelism) || spec.maxParallelism < MIN_MAX_PARALLELISM || spec.maxParallelism > MAX_MAX_PARALLELISM) {
    throw new JobDefinitionError('JOB_BAD_MAX_PARALLELISM', `Job ${spec.name}: maxParallelism must be a whole number from ${MIN_MAX_PARALLELISM} to ${MAX_MAX_PARALLELISM}, not ${spec.maxParallelism}.`, {
      hint: 'Choose it once, generously (e.g. 128): it cannot change while the job has state.',
    });
  }
  return Object.freeze({ ...spec, [JOB]: true as const });
}

export function isJobDefinition(x: unknown): x is JobDefinition {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[JOB] === true;
}

export interface BuiltJob {
  readonly definition: JobDefinition;
  readonly graph: JobGraph;
  readonly params: Readonly<Record<string, string>>;
}

/** Runs the job's `build(env)`; definition errors (a missing uid, …) are thrown here. */
export function buildJob(definition: JobDefinition, params: Readonly<Record<string, string>> = {}): BuiltJob {
  const b = new Builder();
  const env: JobEnv = {
    fromKafka: (o) => sourceNode(b, o),
    fromItems: (o) => itemsNode(b, o),
    param: (name, fallback) => {
      const v = params[name] ?? fallback;
      if (v === undefined) throw new JobDefinitionError('JOB_MISSING_PARAM', `Job ${definition.name} needs the parameter "${name}".`, { hint: `Pass --param ${name}=VALUE.` });
      return v;
    },
    numberParam: (name, fallback) => {
      const raw = params[name];
      if (raw === undefined) return fallback;
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new JobDefinitionError('JOB_BAD_PARAM', `Parameter "${name}" must be a number, not ${JSON.stringify(raw)}.`);
      return n;
    },
  };
  definition.build(env);
  if (!b.graph.nodes.some((n) => n.kind === 'source')) {
    throw new JobDefinitionError('JOB_NO_SOURCE', `Job ${definition.name} has no source.`, { hint: 'Start the dataflow in build(env) with env.fromKafka({...}).' });
  }
  return { definition, graph: b.graph, params };
}

export function stateSpecsOf(node: GraphNode): StateDescriptorSpec[] {
  switch (node.kind) {
    case 'process':
      return node.states.map((s) => ({ name: s.name, kind: s.kind, codec: s.codec.spec, ...(s.kind === 'map' ? { mapKeyCodec: s.mapKeyCodec.spec } : {}) }));
    case 'reduce':
      return [{ name: 'reduce', kind: 'reducing', codec: node.codec.spec }];
    case 'window':
      // One map per key: window id ("start:end") → accumulator.
      return [{ name: 'windows', kind: 'map', codec: node.codec.spec, mapKeyCodec: { type: 'json' } }];
    default:
      return [];
  }
}

/** What restore planning needs to know about a job version (design.md §4). */
export function describeJob(definition: JobDefinition, params: Readonly<Record<string, string>> = {}): JobDescription {
  const { graph } = buildJob(definition, params);
  const operators: OperatorDescription[] = [];
  const inputTopics: string[] = [];
  for (const node of graph.nodes) {
    const kind = operatorKindOf(node);
    if (!kind || node.uid === undefined) continue;
    if (node.kind === 'source' && node.source.type === 'kafka') inputTopics.push(...node.source.topics);
    operators.push({ uid: node.uid, name: node.name, kind, ...('key' in node ? { keyFingerprint: node.key.fingerprint } : {}), states: stateSpecsOf(node) });
  }
  return { name: definition.name, version: definition.version, maxParallelism: definition.maxParallelism, operators, inputTopics: [...new Set(inputTopics)] };
}
