package dev.pitlane.flink.common;

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
}
