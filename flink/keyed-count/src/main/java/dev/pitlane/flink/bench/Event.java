package dev.pitlane.flink.bench;

/**
 * A bench input record, {"k": "key-1", "ts": 123}, with the record's timestamp (the
 * event time, as the embedded job's `timestamp: 'record'`) and its position, which the
 * sink writes as the lineage headers. A POJO, so Flink serializes it without Kryo.
 */
public class Event {
    public String k;
    public long ts;
    public String srcTopic;
    public int srcPartition;
    public long srcOffset;
    /** The count of k after this event (set by the keyed step). */
    public long n;

    public Event() {}
}
