package dev.pitlane.flink.fraud;

import dev.pitlane.flink.common.FraudPipeline;
import dev.pitlane.flink.common.JobArgs;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * fraud v2 on Flink (examples/fraud/v2.ts): threshold 500, Profile gains maxAmount. The fraud deployment runs it at
 * parallelism 8 (deploy/fraud.yaml); the run request says so (FraudPipeline.environment).
 */
public final class FraudV2 {
    private FraudV2() {}

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv);
        StreamExecutionEnvironment env = FraudPipeline.environment(args);
        FraudPipeline.build(env, args, new ProfileV2(), null);
        env.execute(args.get("job-name", "fraud v2"));
    }
}
