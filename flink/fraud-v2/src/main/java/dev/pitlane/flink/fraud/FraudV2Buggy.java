package dev.pitlane.flink.fraud;

import dev.pitlane.flink.common.FraudPipeline;
import dev.pitlane.flink.common.JobArgs;
import dev.pitlane.flink.common.Transaction;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The demo's buggy v2 (src/orchestrator/demo/fraud-v2-buggy.ts): v2, except that it
 * silently drops the transactions of users user-0 … user-9, the kind of bug key
 * coverage catches.
 */
public final class FraudV2Buggy {
    private FraudV2Buggy() {}

    /** JavaScript's /^user-\d$/: the whole id, one ASCII digit. */
    static boolean dropped(String userId) {
        return userId.matches("user-[0-9]");
    }

    public static class DropUsers implements FilterFunction<Transaction> {
        @Override
        public boolean filter(Transaction t) {
            return !dropped(t.userId);
        }
    }

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv);
        StreamExecutionEnvironment env = FraudPipeline.environment(args);
        FraudPipeline.build(env, args, new ProfileV2(), new DropUsers());
        env.execute(args.get("job-name", "fraud v2-buggy"));
    }
}
