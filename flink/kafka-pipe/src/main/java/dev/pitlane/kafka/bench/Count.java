package dev.pitlane.kafka.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts the committed records of a topic as a read_committed reader sees them: records,
 * not offsets (an exactly-once topic also holds transaction markers). Prints
 * {"ready":true} once positioned, {"reached":N,"at":EPOCH_MS} when the count first
 * reaches --records, and, after a line on stdin (the writer has stopped), reads up to
 * the end (the last stable offset) and prints {"total":COUNT}.
 */
public final class Count {
    private Count() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv);
        long target = a.number("records", 0);
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (KafkaConsumer<byte[], byte[]> consumer = Args.consumer(a.required("bootstrap-servers"))) {
            List<TopicPartition> tps = Args.assignAll(consumer, a.required("topic"));
            System.out.println("{\"ready\":true}");
            long count = 0;
            boolean reached = false;
            while (true) {
                count += consumer.poll(Duration.ofMillis(100)).count();
                if (!reached && count >= target) {
                    reached = true;
                    System.out.println("{\"reached\":" + count + ",\"at\":" + System.currentTimeMillis() + "}");
                }
                if (reached && stdin.ready()) break;
            }
            stdin.readLine();
            // The writer has stopped: read to the end (for read_committed, the last stable offset).
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) count += consumer.poll(Duration.ofMillis(100)).count();
            System.out.println("{\"total\":" + count + "}");
        }
    }
}
