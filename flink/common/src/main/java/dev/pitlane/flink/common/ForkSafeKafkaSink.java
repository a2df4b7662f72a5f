package dev.pitlane.flink.common;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Flink's exactly-once Kafka sink, safe to start from another job's savepoint while that
 * job keeps running — a canary's fork.
 *
 * <p>On restore, the KafkaSink aborts the "lingering" transactions of every transactional id
 * prefix in the writer state it restores, assuming the job that wrote them is gone: it calls
 * initTransactions on that prefix's ids from the savepoint's checkpoint on. A fork restored
 * from a savepoint of a running job would so fence the running job's open transaction (it
 * fails and restarts) and could abort one it has not committed yet. This sink restores only
 * the writer state written under its own prefix; another prefix's is left behind, so a job
 * touches only its own transactions. A restore under the same prefix — a recovery, or a
 * restart of the same job — is unchanged. The committer's state is restored as before:
 * committing a transaction the savepoint holds commits what its own job commits anyway.
 */
public final class ForkSafeKafkaSink<IN>
        implements TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable>, SupportsPostCommitTopology<KafkaCommittable> {
    private final TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable> sink;
    private final SupportsPostCommitTopology<KafkaCommittable> topology;
    private final String transactionalIdPrefix;

    public ForkSafeKafkaSink(KafkaSink<IN> sink, String transactionalIdPrefix) {
        this.sink = sink;
        this.topology = sink;
        this.transactionalIdPrefix = transactionalIdPrefix;
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> createWriter(WriterInitContext context) throws IOException {
        return sink.createWriter(context);
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> restoreWriter(WriterInitContext context, Collection<KafkaWriterState> recoveredState) throws IOException {
        List<KafkaWriterState> own = recoveredState.stream().filter(s -> transactionalIdPrefix.equals(s.getTransactionalIdPrefix())).collect(Collectors.toList());
        return sink.restoreWriter(context, own);
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context) throws IOException {
        return sink.createCommitter(context);
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return sink.getCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committables) {
        topology.addPostCommitTopology(committables);
    }
}
