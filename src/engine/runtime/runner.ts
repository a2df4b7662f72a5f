/**
 * Runs a job in this process (design.md §3): builds the operators, restores a
 * snapshot if given, reads every Kafka source from offsets the engine tracks itself,
 * and pushes each batch through the operators synchronously, then flushes sinks and
 * dead letters before taking the next batch. One lock serializes batches, ticks
 * (idle partitions, processing-time timers) and snapshots, so a snapshot always sits
 * between batches with no output in flight.
 */
import type { RecordReader, IncomingRecord } from '../../kafka/port.ts';
import { avroSerde, type Serde } from '../../kafka/serdes.ts';
import { ConfigError, RestoreIncompatibleError, describeUnknown } from '../../errors.ts';
import { validateParallelism } from '../key-groups.ts';
import type { JobSnapshot } from '../snapshot/model.ts';
import { buildJob, type JobDefinition } from '../api/job.ts';
import type { ItemsSourceSpec, KafkaSourceSpec } from '../api/graph.ts';
import type { Clock, Operator } from '../operators/operator.ts';
import { DeadLetterBuffer } from './dead-letters.ts';
import { JobFailedError } from './failure.ts';
import { createOperators } from './operators.ts';
import { restoreOperators, sourceOperators, takeJobSnapshot } from './snapshot.ts';
import { ensureTopic, withRetry } from './kafka-setup.ts';
import { decodeJson, partitionId, type SourceOperator } from './source.ts';
import { operatorStatus, type JobState } from './status.ts';
import { KafkaSinkOperator } from '../operators/sink.ts';
import { KeyedOperator } from '../operators/keyed.ts';
import { openAtLeastOnceOutput } from './output.ts';
import type { EngineDeps, RunOptions, RunningJob, StopOptions } from './job-api.ts';

export type { EngineDeps, RunOptions, CommitHooks, StopOptions, RunningJob } from './job-api.ts';

const systemClock: Clock = { now: () => Date.now() };

export async function startJob(definition: JobDefinition, deps: EngineDeps, options: RunOptions = {}): Promise<RunningJob> {
  const clock = deps.clock ?? systemClock;
  const parallelism = options.parallelism ?? 1;
  validateParallelism(definition.maxParallelism, parallelism);
  const built = buildJob(definition, options.params ?? {});
  const policy = definition.deadLetters?.policy ?? 'dlq';
  const dead = new DeadLetterBuffer(policy, options.deadLetterTopic ?? definition.deadLetters?.topic ?? `${definition.name}.dlq`);
  const rt = { maxParallelism: definition.maxParallelism, parallelism, clock, deadLetter: (op: string, e: unknown, src: IncomingRecord) => dead.add(op, e, src) };
  const needsKafka = built.graph.nodes.some((n) => (n.kind === 'source' && n.source.type === 'kafka') || (n.kind === 'sink' && n.sink.type === 'kafka'));
  const kafka = deps.kafka;
  if (needsKafka && !kafka) throw new ConfigError('ENGINE_NO_KAFKA', `Job ${definition.name} reads or writes Kafka, but no Kafka client was given.`, { hint: 'Pass deps.kafka (createKafkaClients).' });
  const serdes = new Map<string, Serde>();
  const producer = options.output ?? (needsKafka ? await openAtLeastOnceOutput(kafka!) : undefined);
  const ops = createOperators(built.graph, rt, {
    send: (topic, records) => producer!.send(topic, records),
    avroSerde(subject, schema) {
      if (!deps.registry) throw new ConfigError('ENGINE_NO_REGISTRY', `An Avro sink (subject ${subject}) needs a schema registry.`, { hint: 'Pass --registry-url or set SCHEMA_REGISTRY_URL.' });
      let s = serdes.get(subject);
      if (!s) serdes.set(subject, (s = avroSerde(deps.registry, { subject, schema })));
      return s;
    },
  });
  const sources = sourceOperators(ops);
  const sinks = ops.filter((o) => o.node.kind === 'sink');
  const keyed = ops.filter((o): o is KeyedOperator => o instanceof KeyedOperator);

  if (options.restore) {
    if (options.restore.maxParallelism !== definition.maxParallelism) {
      throw new RestoreIncompatibleError('RESTORE_MAX_PARALLELISM', `The snapshot has maxParallelism ${options.restore.maxParallelism}, job ${definition.name} has ${definition.maxParallelism}.`, {
        hint: 'maxParallelism cannot change for a job with state; set it back in defineJob.',
      });
    }
    restoreOperators(ops, options.restore.operators, definition.maxParallelism);
  }

  let state: JobState = 'starting';
  let chain: Promise<unknown> = Promise.resolve();
  const locked = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
  const flushAll = async () => {
    for (const s of sinks) await s.flush();
    const letters = dead.take();
    // Without Kafka (in-process jobs) dead letters stay in `deadLetters.recent`.
    if (letters.length > 0 && producer) await producer.send(dead.topic, letters);
  };

  // Start positions: the snapshot's offsets, else each source's startFrom.
  if (kafka && policy === 'dlq' && needsKafka) await ensureTopic(kafka, dead.topic);
  const restoredOffsets = new Map((options.restore?.sourceOffsets ?? []).map((o) => [partitionId(o.topic, o.partition), o.offset]));
  const restoredMarks = new Map((options.restore?.watermarks ?? []).map((o) => [partitionId(o.topic, o.partition), o.watermark]));
  const now0 = clock.now();
  for (const src of sources) {
    if (src.spec.type !== 'kafka') continue;
    for (const topic of src.spec.topics) {
      for (const m of await withRetry(() => kafka!.watermarks(topic))) {
        const id = partitionId(topic, m.partition);
        src.addPartition(topic, m.partition, restoredOffsets.get(id) ?? (src.spec.startFrom === 'latest' ? m.high : m.low), now0, restoredMarks.get(id));
      }
    }
  }

  const readers: RecordReader[] = [];
  let stopping = false;
  let completed = false;
  let failure: unknown;

  const processKafkaBatch = async (src: SourceOperator, records: readonly IncomingRecord[]) => {
    const now = clock.now();
    if (src.spec.type === 'kafka' && src.spec.format === 'avro') {
      const serde = deps.registry ? avroSerde(deps.registry, { subject: '' }) : undefined;
      for (const r of records) {
        if (!serde) src.ingest(r, undefined, now, new ConfigError('ENGINE_NO_REGISTRY', 'An Avro source needs a schema registry.'));
        else if (r.value === null) src.ingest(r, undefined, now, decodeJson(r).error);
        else await serde.deserialize(r.value).then((v) => src.ingest(r, v, now), (e: unknown) => src.ingest(r, undefined, now, e));
      }
    } else {
      for (const r of records) {
        const d = decodeJson(r);
        src.ingest(r, d.value, now, d.error);
      }
    }
    src.advanceWatermark(now);
    await flushAll();
  };

  // A failed read is reopened from the engine's own positions (exact, so nothing is lost or
  // repeated); kafkajs sometimes fails on fresh topics whose metadata has not settled.
  // A batch that fails while it is processed or written fails the job instead: its records
  // already changed state and moved those positions, so reading on would lose their output.
  const runKafkaSource = async (src: SourceOperator) => {
    for (let failures = 0; ; ) {
      const reader = kafka!.read({ topics: (src.spec as KafkaSourceSpec).topics, from: { offsets: [...src.positions.values()] }, to: 'follow' });
      readers.push(reader);
      if (stopping) await reader.close();
      let batchFailed = false;
      try {
        for await (const batch of reader) {
          if (stopping) break;
          failures = 0;
          await locked(() => processKafkaBatch(src, batch.records)).catch((e: unknown) => {
            batchFailed = true;
            throw e;
          });
        }
        return;
      } catch (e) {
        if (batchFailed || stopping || failure !== undefined || ++failures > 5 || e instanceof JobFailedError) throw e;
        deps.logger.warn({ err: describeUnknown(e), source: src.node.name, attempt: failures }, 'source read failed; reopening from the engine positions');
        await new Promise((r) => setTimeout(r, 200 * failures));
      }
    }
  };

  const runItemsSource = async (src: SourceOperator) => {
    const spec = src.spec as ItemsSourceSpec;
    const topic = `items:${src.node.uid}`;
    src.addPartition(topic, 0, 0, now0);
    let records: IncomingRecord[] = [];
    let items: unknown[] = [];
    let offset = 0;
    const run = () =>
      locked(async () => {
        const now = clock.now();
        for (let i = 0; i < records.length; i++) src.ingest(records[i]!, items[i], now);
        records = [];
        items = [];
        src.advanceWatermark(now);
        await flushAll();
      });
    for (const item of spec.items) {
      if (stopping) return;
      records.push({ topic, partition: 0, offset: offset++, key: null, value: null, headers: {}, timestamp: 0 });
      items.push(item);
      if (records.length >= spec.batchSize) {
        await run();
        await new Promise((r) => setImmediate(r)); // let stop() and snapshot() in between batches
      }
    }
    await run();
    // A bounded input is complete: every window and event-time timer may fire.
    await locked(async () => {
      src.processWatermark(Number.POSITIVE_INFINITY);
      await flushAll();
    });
  };

  const takeSnapshot = (type: 'savepoint' | 'checkpoint'): JobSnapshot => takeJobSnapshot(definition, ops, parallelism, clock.now(), type);
  const hooks = options.commitHooks;
  // Call under the lock only: nothing may be processed between flush, snapshot and commit.
  const commitPoint = async (type: 'savepoint' | 'checkpoint'): Promise<JobSnapshot> => {
    await flushAll();
    const snap = takeSnapshot(type);
    await producer?.commit(hooks ? (tx) => hooks.beforeCommit(snap, tx) : undefined);
    if (!producer && hooks) await hooks.beforeCommit(snap, undefined);
    await hooks?.afterCommit?.(snap);
    return snap;
  };
  // A periodic commit point needs a snapshot only for the hooks (the checkpoint
  // written with the output); without hooks, encoding the whole state would be waste.
  const commitOutput = async (): Promise<void> => {
    if (hooks) {
      await commitPoint('checkpoint');
      return;
    }
    await flushAll();
    await producer?.commit();
  };
  const drainAll = () => {
    for (const s of sources) s.processWatermark(Number.POSITIVE_INFINITY);
  };

  const tick = () =>
    locked(async () => {
      const now = clock.now();
      for (const s of sources) s.advanceWatermark(now);
      for (const k of keyed) k.onProcessingTime(now);
      await flushAll();
    });
  const ticker = setInterval(() => void tick().catch(fail), options.tickMs ?? 200);
  ticker.unref();
  const checkpointer = options.checkpointIntervalMs ? setInterval(() => void locked(() => (stopping ? undefined : commitOutput())).catch(fail), options.checkpointIntervalMs) : undefined;
  checkpointer?.unref();

  let stopped: Promise<JobSnapshot | undefined> | undefined;
  const shutdown = (stopOptions: StopOptions = {}): Promise<JobSnapshot | undefined> => {
    stopped ??= (async () => {
      stopping = true;
      if (state === 'running') state = 'stopping';
      clearInterval(ticker);
      if (checkpointer) clearInterval(checkpointer);
      await Promise.allSettled(readers.map((r) => r.close()));
      await loops;
      let last: JobSnapshot | undefined;
      if (failure === undefined) {
        last = await locked(async () => {
          if (stopOptions.drain) drainAll();
          if (hooks || stopOptions.snapshot) return commitPoint(stopOptions.snapshot ? 'savepoint' : 'checkpoint');
          await flushAll();
          await producer?.commit();
          return undefined;
        }).catch((e: unknown) => {
          failure ??= e;
          return undefined;
        });
      }
      // A failed job's uncommitted output is discarded (exactly-once); recovery replays it.
      if (failure !== undefined) await producer?.abort().catch(() => undefined);
      else await producer?.close().catch(() => undefined);
      state = failure !== undefined ? 'failed' : completed ? 'finished' : 'stopped';
      return last;
    })();
    return stopped;
  };
  function fail(e: unknown): void {
    if (failure === undefined) {
      failure = e;
      state = 'failed';
      deps.logger.error({ err: describeUnknown(e) }, 'job failed');
      void shutdown();
    }
  }

  state = 'running';
  const loops = Promise.all(sources.map((s) => (s.spec.type === 'kafka' ? runKafkaSource(s) : runItemsSource(s)).catch(fail)));
  const finished = loops.then(async () => {
    if (!stopping && failure === undefined) {
      completed = true;
      await shutdown();
    }
    await stopped;
    if (failure !== undefined) throw failure;
  });
  finished.catch(() => undefined);

  return {
    deadLetters: dead,
    finished,
    tick,
    status: () => {
      const now = clock.now();
      return { job: { name: definition.name, version: definition.version }, state, parallelism, maxParallelism: definition.maxParallelism, deadLetters: dead.total, operators: ops.map((o) => operatorStatus(o, now)) };
    },
    snapshot: async (type = 'savepoint') => {
      // After the final commit point the state is final and its output committed.
      if (stopping) {
        await stopped;
        return takeSnapshot(type);
      }
      return locked(() => commitPoint(type));
    },
    commit: async () => {
      // After the final commit point everything is committed already.
      if (stopping) {
        await stopped;
        return;
      }
      await locked(() => (stopping ? undefined : commitOutput()));
    },
    stop: async (stopOptions) => {
      const last = await shutdown(stopOptions);
      if (failure !== undefined) throw failure;
      return last;
    },
    redirectSink(uid, topic) {
      const sink = ops.find((o): o is KafkaSinkOperator => o instanceof KafkaSinkOperator && o.node.uid === uid);
      if (!sink) throw new ConfigError('ENGINE_NO_SUCH_SINK', `Job ${definition.name} has no Kafka sink with uid "${uid}".`, { hint: `Its Kafka sinks: ${ops.filter((o) => o instanceof KafkaSinkOperator).map((o) => o.node.uid).join(', ') || 'none'}.` });
      sink.redirect(topic);
    },
  } satisfies RunningJob & { deadLetters: DeadLetterBuffer } as RunningJob;
}

export type { Operator };
