package dev.pitlane.flink.common;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

/**
 * The fraud job's shape, the same in every version (examples/fraud/*.ts):
 * Kafka source (uid "transactions") → [filter] → keyBy userId → profile (uid "profile")
 * → exactly-once Kafka sink (uid "flags"; fork-safe: ForkSafeKafkaSink). A version brings its own keyed step (its
 * rule and its state) and, for the buggy demo version, a filter.
 */
public final class FraudPipeline {
    /** As examples/fraud: state is sharded into 128 key groups, so a job rescales up to 128. */
    public static final int MAX_PARALLELISM = 128;

    /**
     * The broker's transaction.max.timeout.ms is 15 min by default; a sink asking for more
     * is refused. 10 min outlasts any checkpoint of these jobs.
     */
    public static final String TRANSACTION_TIMEOUT_MS = "600000";

    private FraudPipeline() {}

    /**
     * An environment with the job's settings: checkpointing, max parallelism, no Kryo.
     * Parallelism is the deployment's choice, as in the embedded engine (deploy/fraud.yaml):
     * the run request's `parallelism` (or --parallelism). The job never hard-codes one,
     * which would override the request; the fraud deployment runs v1 at 4 and v2 at 8.
     */
    public static StreamExecutionEnvironment environment(JobArgs args) {
        Configuration conf = new Configuration();
        // Every record type is a POJO; a type that would fall back to Kryo (no schema evolution) fails at once.
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.enableCheckpointing(args.getLong("checkpoint-interval-ms", 2000), CheckpointingMode.EXACTLY_ONCE);
        // --max-parallelism changes it: a restore of a savepoint taken at another max parallelism
        // is refused (how a test shows the preflight catching it).
        env.setMaxParallelism((int) args.getLong("max-parallelism", MAX_PARALLELISM));
        if (args.has("parallelism")) env.setParallelism((int) args.getLong("parallelism", 1));
        return env;
    }

    public static void build(StreamExecutionEnvironment env, JobArgs args, KeyedProcessFunction<String, Transaction, Flag> profile, FilterFunction<Transaction> filter) {
        KafkaSource<Transaction> source = KafkaSource.<Transaction>builder()
                .setBootstrapServers(args.bootstrapServers())
                .setTopics(args.inputs())
                .setGroupId(args.groupId())
                .setStartingOffsets(startingOffsets(args.get("starting-offsets", "earliest")))
                .setDeserializer(new TransactionDeserializer())
                // Input written by transactional producers (another job's output) counts once committed.
                .setProperty("isolation.level", "read_committed")
                .setProperty("commit.offsets.on.checkpoint", "true")
                .build();
        WatermarkStrategy<Transaction> watermarks = WatermarkStrategy
                .<Transaction>forBoundedOutOfOrderness(Duration.ofMillis(args.getLong("max-out-of-orderness-ms", 1000)))
                .withTimestampAssigner((t, recordTimestamp) -> t.ts)
                .withIdleness(Duration.ofMillis(args.getLong("idle-timeout-ms", 5000)));

        DataStream<Transaction> txs = env.fromSource(source, watermarks, "transactions").uid("transactions").name("transactions");
        if (filter != null) txs = txs.filter(filter).uid("filter").name("filter");
        // --profile-uid renames the keyed step's uid: its saved state then has no operator to go to
        // (how a test shows a refused restore, and allow-non-restored-state accepting it).
        String profileUid = args.get("profile-uid", "profile");
        DataStream<Flag> flags = txs.keyBy(t -> t.userId).process(profile).uid(profileUid).name("profile");

        KafkaSink<Flag> sink = KafkaSink.<Flag>builder()
                .setBootstrapServers(args.bootstrapServers())
                .setRecordSerializer(new FlagSerializer(args.output()))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(args.transactionalIdPrefix())
                .setProperty("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
                .build();
        // Fork-safe: a canary's candidate restored from this job's savepoint while it runs must not
        // abort the running job's transactions (ForkSafeKafkaSink).
        flags.sinkTo(new ForkSafeKafkaSink<>(sink, args.transactionalIdPrefix())).uid("flags").name("flags");
    }

    /** earliest | latest | committed | timestamp:MS | offsets:TOPIC:PARTITION:OFFSET,... */
    public static OffsetsInitializer startingOffsets(String spec) {
        if (spec.equals("earliest")) return OffsetsInitializer.earliest();
        if (spec.equals("latest")) return OffsetsInitializer.latest();
        // The group's committed offsets; a partition without one starts at the earliest record.
        if (spec.equals("committed")) return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        if (spec.startsWith("timestamp:")) return OffsetsInitializer.timestamp(Long.parseLong(spec.substring("timestamp:".length())));
        if (spec.startsWith("offsets:")) {
            Map<TopicPartition, Long> offsets = new HashMap<>();
            for (String p : spec.substring("offsets:".length()).split(",")) {
                int b = p.lastIndexOf(':');
                int a = p.lastIndexOf(':', b - 1);
                if (a <= 0 || b <= a) throw new IllegalArgumentException("Bad position \"" + p + "\" in --starting-offsets; expected TOPIC:PARTITION:OFFSET");
                offsets.put(new TopicPartition(p.substring(0, a), Integer.parseInt(p.substring(a + 1, b))), Long.parseLong(p.substring(b + 1)));
            }
            return OffsetsInitializer.offsets(offsets);
        }
        throw new IllegalArgumentException("Unknown --starting-offsets \"" + spec + "\"; use earliest, latest, committed, timestamp:MS or offsets:TOPIC:PARTITION:OFFSET,...");
    }
}
