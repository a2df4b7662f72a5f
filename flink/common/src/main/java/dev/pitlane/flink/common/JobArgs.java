package dev.pitlane.flink.common;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The program arguments every pitlane Flink job takes, as `--name value` pairs:
 *
 * <pre>
 *   --bootstrap-servers 127.0.0.1:9092   Kafka
 *   --input fraud.tx[,more]               source topics
 *   --output fraud.flags                  sink topic
 *   --group-id ID                         the source's consumer group (offsets committed on checkpoints)
 *   --transactional-id-prefix ID          the exactly-once sink's transactional ids
 *   --starting-offsets earliest|latest|committed|timestamp:MS|offsets:TOPIC:PARTITION:OFFSET,...
 *   --parallelism N                       optional; else the run request's parallelism (or the cluster's default)
 *   --checkpoint-interval-ms 2000         output becomes visible (read_committed) at each checkpoint
 *   --max-out-of-orderness-ms 1000        watermark bound
 *   --idle-timeout-ms 5000                a partition without records stops holding the watermark back
 *   --profile-uid profile                 the keyed step's uid (renamed, its saved state has no operator)
 *   --max-parallelism 128                 key groups (changed, a savepoint taken before cannot be restored)
 * </pre>
 */
public final class JobArgs {
    private final Map<String, String> values = new HashMap<>();

    private JobArgs() {}

    public static JobArgs parse(String[] args) {
        JobArgs a = new JobArgs();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (!k.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("Expected --name value pairs, got " + Arrays.toString(args));
            }
            a.values.put(k.substring(2), args[++i]);
        }
        return a;
    }

    public String required(String name) {
        String v = values.get(name);
        if (v == null || v.isEmpty()) throw new IllegalArgumentException("Missing argument --" + name);
        return v;
    }

    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public long getLong(String name, long fallback) {
        String v = values.get(name);
        return v == null ? fallback : Long.parseLong(v);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String bootstrapServers() {
        return required("bootstrap-servers");
    }

    public List<String> inputs() {
        List<String> topics = new ArrayList<>();
        for (String t : required("input").split(",")) if (!t.isBlank()) topics.add(t.trim());
        return topics;
    }

    public String output() {
        return required("output");
    }

    public String groupId() {
        return required("group-id");
    }

    public String transactionalIdPrefix() {
        return required("transactional-id-prefix");
    }
}
