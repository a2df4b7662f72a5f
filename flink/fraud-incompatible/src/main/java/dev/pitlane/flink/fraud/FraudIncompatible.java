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

/** v1's rule over a Profile whose count became a long: an upgrade whose state type changed incompatibly. */
public final class FraudIncompatible {
    private FraudIncompatible() {}

    /** As ProfileV1, with its state descriptor made in open() as jobs usually do. */
    public static final class Step extends KeyedProcessFunction<String, Transaction, Flag> {
        private transient ValueState<Profile> profile;

        @Override
        public void open(OpenContext ctx) {
            profile = getRuntimeContext().getState(new ValueStateDescriptor<>("profile", Profile.class));
        }

        @Override
        public void processElement(Transaction t, Context ctx, Collector<Flag> out) throws Exception {
            Profile p = profile.value();
            if (p == null) p = new Profile();
            if (t.amount > 100) out.collect(Flag.of(t, 100, (int) p.count));
            p.count += 1;
            p.total += t.amount;
            profile.update(p);
        }
    }

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv);
        StreamExecutionEnvironment env = FraudPipeline.environment(args);
        FraudPipeline.build(env, args, new Step(), null);
        env.execute(args.get("job-name", "fraud incompatible"));
    }
}
