package dev.pitlane.flink.fraud;

import dev.pitlane.flink.common.Flag;
import dev.pitlane.flink.common.Transaction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/** examples/fraud/v1.ts's keyed step: flag transactions over 100; count and sum per user. */
public class ProfileV1 extends KeyedProcessFunction<String, Transaction, Flag> {
    public static final int THRESHOLD = 100;
    private transient ValueState<Profile> profile;

    @Override
    public void open(OpenContext ctx) {
        profile = getRuntimeContext().getState(new ValueStateDescriptor<>("profile", Profile.class));
    }

    @Override
    public void processElement(Transaction t, Context ctx, Collector<Flag> out) throws Exception {
        Profile p = profile.value();
        if (p == null) p = new Profile();
        if (t.amount > THRESHOLD) out.collect(Flag.of(t, THRESHOLD, p.count));
        p.count += 1;
        p.total += t.amount;
        profile.update(p);
    }
}
