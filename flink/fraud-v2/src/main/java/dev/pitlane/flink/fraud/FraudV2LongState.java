package dev.pitlane.flink.fraud;

import dev.pitlane.flink.common.Flag;
import dev.pitlane.flink.common.FraudPipeline;
import dev.pitlane.flink.common.JobArgs;
import dev.pitlane.flink.common.Transaction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * v2's rule over a keyed step that keeps only a count, a Long, under v1's state name
 * "profile": a state whose type changed from a POJO to a Long. Its descriptor is a field
 * made with the function, so the preflight finds it in the job graph and compares the
 * saved POJO with a Long (the preflight's test of a descriptor it can reach).
 */
public final class FraudV2LongState {
    private FraudV2LongState() {}

    public static final class Step extends KeyedProcessFunction<String, Transaction, Flag> {
        private final ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>("profile", Long.class);
        private transient ValueState<Long> count;

        @Override
        public void open(OpenContext ctx) {
            count = getRuntimeContext().getState(descriptor);
        }

        @Override
        public void processElement(Transaction t, Context ctx, Collector<Flag> out) throws Exception {
            Long c = count.value();
            long n = c == null ? 0 : c;
            if (t.amount > 500) out.collect(Flag.of(t, 500, (int) n));
            count.update(n + 1);
        }
    }

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv);
        StreamExecutionEnvironment env = FraudPipeline.environment(args);
        FraudPipeline.build(env, args, new Step(), null);
        env.execute(args.get("job-name", "fraud v2 long state"));
    }
}
