package dev.pitlane.flink.bench;

import dev.pitlane.flink.common.FraudPipeline;
import dev.pitlane.flink.common.JobArgs;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The keyed count of `npm run bench:engine` on Flink, the peer of the embedded job in
 * bench/engine-flink.ts: Kafka source (uid "events", read_committed) → keyBy k → a
 * ValueState&lt;Long&gt; count per key (uid "count"), one output per input → exactly-once
 * Kafka sink (uid "counts") writing {"k":…,"n":…} keyed by k.
 *
 * Arguments are pitlane's contract (flink/common JobArgs, the adapter's defaults):
 * --bootstrap-servers, --input, --output, --group-id, --transactional-id-prefix,
 * --starting-offsets, --checkpoint-interval-ms (the exactly-once output is committed at
 * each checkpoint), and the run request's parallelism.
 */
public final class KeyedCount {
    private KeyedCount() {}

    /** count(k) += 1, and the event goes on with it. */
    public static final class Count extends KeyedProcessFunction<String, Event, Event> {
        private transient ValueState<Long> count;

        @Override
        public void open(OpenContext ctx) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(Event e, Context ctx, Collector<Event> out) throws Exception {
            Long c = count.value();
            long n = (c == null ? 0 : c) + 1;
            count.update(n);
            e.n = n;
            out.collect(e);
        }
    }

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv);
        // Checkpointing every --checkpoint-interval-ms, max parallelism 128, no Kryo: as the fraud jobs.
        StreamExecutionEnvironment env = FraudPipeline.environment(args);
        KafkaSource<Event> source = KafkaSource.<Event>builder()
                .setBootstrapServers(args.bootstrapServers())
                .setTopics(args.inputs())
                .setGroupId(args.groupId())
                .setStartingOffsets(FraudPipeline.startingOffsets(args.get("starting-offsets", "earliest")))
                .setDeserializer(new EventDeserializer())
                .setProperty("isolation.level", "read_committed")
                .setProperty("commit.offsets.on.checkpoint", "true")
                .build();
        DataStream<Event> events = env.fromSource(source, WatermarkStrategy.noWatermarks(), "events").uid("events").name("events");
        DataStream<Event> counts = events.keyBy(e -> e.k).process(new Count()).uid("count").name("count");
        KafkaSink<Event> sink = KafkaSink.<Event>builder()
                .setBootstrapServers(args.bootstrapServers())
                .setRecordSerializer(new CountSerializer(args.output()))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(args.transactionalIdPrefix())
                .setProperty("transaction.timeout.ms", FraudPipeline.TRANSACTION_TIMEOUT_MS)
                .build();
        counts.sinkTo(sink).uid("counts").name("counts");
        env.execute(args.get("job-name", "bench keyed count"));
    }
}
