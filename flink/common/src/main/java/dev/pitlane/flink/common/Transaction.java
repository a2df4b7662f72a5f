package dev.pitlane.flink.common;

/**
 * A transaction (examples/fraud/model.ts) and where it was read from: the source
 * position travels with the record so the sink can write the lineage headers.
 * A POJO (public fields, no-arg constructor) so Flink serializes it without Kryo.
 */
public class Transaction {
    public String txId;
    public String userId;
    public double amount;
    /** Event time, epoch ms. */
    public long ts;
    public String srcTopic;
    public int srcPartition;
    public long srcOffset;

    public Transaction() {}
}
