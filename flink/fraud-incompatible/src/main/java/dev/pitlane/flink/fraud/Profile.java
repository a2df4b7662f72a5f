package dev.pitlane.flink.fraud;

/**
 * A profile whose count is a long where v1's is an int: the same class name, so a restore
 * of a v1 savepoint reaches it, and a field whose type changed, which Flink's POJO
 * serializer cannot migrate (only added and removed fields are). The preflight refuses it.
 */
public class Profile {
    public long count;
    public double total;

    public Profile() {}
}
