package dev.pitlane.flink.fraud;

import dev.pitlane.flink.common.FraudPipeline;
import dev.pitlane.flink.common.JobArgs;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * fraud v1 on Flink (examples/fraud/v1.ts): threshold 100. The fraud deployment runs it at
 * parallelism 4 (deploy/fraud.yaml); the run request says so (FraudPipeline.environment).
 */
public final class FraudV1 {
    private FraudV1() {}

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv);
        StreamExecutionEnvironment env = FraudPipeline.environment(args);
        FraudPipeline.build(env, args, new ProfileV1(), null);
        env.execute(args.get("job-name", "fraud v1"));
    }
}
