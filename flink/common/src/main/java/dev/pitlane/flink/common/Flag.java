package dev.pitlane.flink.common;

/**
 * An alert (examples/fraud/model.ts `Flag`): the JSON value holds txId, userId, amount,
 * ts, threshold and priorCount, in that order; the source position is for the lineage
 * headers only.
 */
public class Flag {
    public String txId;
    public String userId;
    public double amount;
    public long ts;
    public int threshold;
    /** Transactions of this user before this one. */
    public int priorCount;
    public String srcTopic;
    public int srcPartition;
    public long srcOffset;

    public Flag() {}

    public static Flag of(Transaction t, int threshold, int priorCount) {
        Flag f = new Flag();
        f.txId = t.txId;
        f.userId = t.userId;
        f.amount = t.amount;
        f.ts = t.ts;
        f.threshold = threshold;
        f.priorCount = priorCount;
        f.srcTopic = t.srcTopic;
        f.srcPartition = t.srcPartition;
        f.srcOffset = t.srcOffset;
        return f;
    }

    /** The value exactly as the embedded engine writes it: JSON.stringify of the Flag. */
    public String toJson() {
        StringBuilder b = new StringBuilder(128);
        b.append("{\"txId\":");
        JsJson.string(b, txId);
        b.append(",\"userId\":");
        JsJson.string(b, userId);
        b.append(",\"amount\":").append(JsJson.number(amount));
        b.append(",\"ts\":").append(ts);
        b.append(",\"threshold\":").append(threshold);
        b.append(",\"priorCount\":").append(priorCount);
        return b.append('}').toString();
    }
}
