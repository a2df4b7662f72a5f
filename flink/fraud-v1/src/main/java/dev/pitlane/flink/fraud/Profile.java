package dev.pitlane.flink.fraud;

/**
 * v1's per-user profile (examples/fraud/model.ts ProfileV1). Its class name is its
 * identity in a savepoint: v2 keeps the name and adds a field (fraud-v2/Profile.java).
 */
public class Profile {
    public int count;
    public double total;

    public Profile() {}
}
