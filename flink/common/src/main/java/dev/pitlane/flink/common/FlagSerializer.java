package dev.pitlane.flink.common;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * An alert as the embedded engine writes it (src/engine/operators/sink.ts): key userId,
 * value JSON.stringify(flag), record timestamp = event time, and the lineage headers.
 */
public class FlagSerializer implements KafkaRecordSerializationSchema<Flag> {
    private final String topic;

    public FlagSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Flag f, KafkaSinkContext context, Long timestamp) {
        List<Header> headers = Lineage.headers(f.ts, f.srcTopic, f.srcPartition, f.srcOffset);
        byte[] key = f.userId == null ? null : f.userId.getBytes(StandardCharsets.UTF_8);
        // As the embedded sink: a negative event time leaves the timestamp to the producer.
        Long ts = f.ts >= 0 ? f.ts : null;
        return new ProducerRecord<>(topic, null, ts, key, f.toJson().getBytes(StandardCharsets.UTF_8), headers);
    }
}
