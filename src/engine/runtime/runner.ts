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
import { JobFailedError } from '../failure.ts';
import { createOperators } from './operators.ts';
import { restoreOperators, sourceOperators, takeJobSnapshot } from './snapshot.ts';
import { applyJobDelta, stopTracking, takeJobDelta, trackChanges, type JobDelta } from './delta.ts';
import { ensureTopic } from './kafka-setup.ts';
import type { SourceOperator } from './source.ts';
import { addKafkaPartitions, ingestKafkaBatch } from './source-io.ts';
import { operatorStatus, type RunnerState } from './status.ts';
import { KafkaSinkOperator } from '../operators/sink.ts';
import { KeyedOperator } from '../operators/keyed.ts';
import { openAtLeastOnceOutput } from './output.ts';
import type { EngineDeps, RunOptions, RunningJob, StopOptions } from './job-api.ts';


/** Records processed under the lock at a time; see runKafkaSource. */
const PROCESS_SLICE = 500;
export type { EngineDeps, RunOptions, CommitHooks, StopOptions, RunningJob, SnapshotOptions } from './job-api.ts';

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

  // State is stored per key group, so a snapshot or a delta only fits the same maxParallelism.
  const requireMaxParallelism = (what: 'snapshot' | 'delta', maxParallelism: number, hint: string) => {
    if (maxParallelism !== definition.maxParallelism) {
      throw new RestoreIncompatibleError('RESTORE_MAX_PARALLELISM', `The ${what} has maxParallelism ${maxParallelism}, job ${definition.name} has ${definition.maxParallelism}.`, { hint });
    }
  };
  if (options.restore) {
    requireMaxParallelism('snapshot', options.restore.maxParallelism, 'maxParallelism cannot change for a job with state; set it back in defineJob.');
    restoreOperators(ops, options.restore.operators, definition.maxParallelism);
  }

  let state: RunnerState = 'starting';
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

  if (kafka && policy === 'dlq' && needsKafka) await ensureTopic(kafka, dead.topic);
  let now0 = clock.now();
  const addPartitions = async (delta: JobDelta | undefined) => addKafkaPartitions(sources, kafka, { restore: options.restore, delta }, (now0 = clock.now()));

  const readers: RecordReader[] = [];
  let stopping = false;
  let completed = false;
  let failure: unknown;

  const processKafkaBatch = async (src: SourceOperator, records: readonly IncomingRecord[]) => {
    await ingestKafkaBatch(src, records, deps.registry, clock.now());
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
          // A fetch can hold thousands of records. They go through in slices, each under the
          // lock on its own, so a stop, a savepoint or a periodic commit waits for one slice,
          // not the whole fetch (seconds for a job that spends milliseconds per record).
          // Positions move per record, so a stop between slices is exact.
          for (let i = 0; i < batch.records.length && !stopping; i += PROCESS_SLICE) {
            const slice = batch.records.length <= PROCESS_SLICE ? batch.records : batch.records.slice(i, i + PROCESS_SLICE);
            // Quiesced (a delta stop): the state is final; records read after it stay unread.
            await locked(() => (quiesced ? undefined : processKafkaBatch(src, slice))).catch((e: unknown) => {
              batchFailed = true;
              throw e;
            });
          }
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
        if (quiesced) return;
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
      if (quiesced) return;
      const now = clock.now();
      for (const s of sources) s.advanceWatermark(now);
      for (const k of keyed) k.onProcessingTime(now);
      await flushAll();
    });
  let ticker: ReturnType<typeof setInterval> | undefined;
  let checkpointer: ReturnType<typeof setInterval> | undefined;
  const stopTimers = () => {
    clearInterval(ticker);
    clearInterval(checkpointer);
  };

  let stopped: Promise<JobSnapshot | undefined> | undefined;
  const shutdown = (stopOptions: StopOptions = {}): Promise<JobSnapshot | undefined> => {
    stopped ??= (async () => {
      stopping = true;
      if (state === 'running') state = 'stopping';
      stopTimers();
      await Promise.allSettled(readers.map((r) => r.close()));
      await loops;
      loopsDone();
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

  let loops: Promise<unknown> = Promise.resolve();
  let loopsDone!: () => void;
  const sourcesEnded = new Promise<void>((r) => (loopsDone = r));
  let began = false;
  let quiesced = false;
  // Sources and timers start here: at once, or for a paused job (options.startPaused)
  // at `begin`, after a delta has been applied to the restored state.
  const go = async (delta?: JobDelta) => {
    began = true;
    if (delta) {
      requireMaxParallelism('delta', delta.maxParallelism, 'A delta applies only to a job restored from its base savepoint; restore the full savepoint instead.');
      applyJobDelta(ops, delta, definition.maxParallelism);
    }
    await addPartitions(delta);
    ticker = setInterval(() => void tick().catch(fail), options.tickMs ?? 200);
    ticker.unref();
    if (options.checkpointIntervalMs) {
      checkpointer = setInterval(() => void locked(() => (stopping || quiesced ? undefined : commitOutput())).catch(fail), options.checkpointIntervalMs);
      checkpointer.unref();
    }
    state = 'running';
    loops = Promise.all(sources.map((s) => (s.spec.type === 'kafka' ? runKafkaSource(s) : runItemsSource(s)).catch(fail)));
    void loops.then(() => loopsDone());
  };
  if (!options.startPaused) await go();
  const finished = sourcesEnded.then(async () => {
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
    snapshot: async (type = 'savepoint', snapOptions) => {
      // After the final commit point the state is final and its output committed.
      if (stopping) {
        await stopped;
        return takeSnapshot(type);
      }
      // Quiesced: frozen, and its output committed at the quiesce.
      if (quiesced) return locked(() => takeSnapshot(type));
      return locked(async () => {
        const snap = await commitPoint(type);
        // Under the same lock: no record is processed between the base and the tracking.
        if (snapOptions?.trackChanges !== undefined) trackChanges(ops, snapOptions.trackChanges);
        return snap;
      });
    },
    quiesce: (base) =>
      locked(async () => {
        quiesced = true;
        stopTimers();
        await flushAll();
        await producer?.commit();
        const delta = base !== undefined ? takeJobDelta(definition, ops, parallelism, base, clock.now()) : undefined;
        stopTracking(ops);
        return delta;
      }),
    begin: async (delta) => {
      if (began) throw new ConfigError('ENGINE_ALREADY_STARTED', `Job ${definition.name} has already started; only a job started paused can begin.`, { hint: 'Pass startPaused: true to startJob to restore first and begin later.' });
      await go(delta);
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
