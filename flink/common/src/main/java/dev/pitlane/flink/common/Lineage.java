package dev.pitlane.flink.common;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * pitlane's lineage headers (src/engine/runtime/lineage.ts, docs/engine.md): every output
 * record names the source record that caused it and its event time. The comparator and
 * the cutover read these names from the output of either engine.
 */
public final class Lineage {
    public static final String TOPIC = "pitlane.src.topic";
    public static final String PARTITION = "pitlane.src.partition";
    public static final String OFFSET = "pitlane.src.offset";
    public static final String EVENT_TIME = "pitlane.event-time";

    private Lineage() {}

    /** The four headers of an output record caused by the source record at topic/partition/offset. */
    public static List<Header> headers(long eventTime, String topic, int partition, long offset) {
        return List.of(
                header(EVENT_TIME, Long.toString(eventTime)),
                header(TOPIC, topic),
                header(PARTITION, Integer.toString(partition)),
                header(OFFSET, Long.toString(offset)));
    }

    private static Header header(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
