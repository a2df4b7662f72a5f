package dev.pitlane.flink.fraud;

/**
 * v2's per-user profile (examples/fraud/model.ts ProfileV2): v1's Profile, same class
 * name, plus maxAmount. Flink's POJO serializer restores a v1 savepoint into it (schema
 * evolution: a field added), maxAmount starting at 0 as the Avro default does in the
 * embedded engine's v2.
 */
public class Profile {
    public int count;
    public double total;
    public double maxAmount;

    public Profile() {}
}
