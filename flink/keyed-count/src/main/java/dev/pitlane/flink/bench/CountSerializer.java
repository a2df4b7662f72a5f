package dev.pitlane.flink.bench;

import dev.pitlane.flink.common.JsJson;
import dev.pitlane.flink.common.Lineage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A count as the embedded job writes it (`toKafka({ key: (c) => c.k })`): key k, value
 * JSON.stringify({k, n}), record timestamp = event time, and the lineage headers.
 */
public class CountSerializer implements KafkaRecordSerializationSchema<Event> {
    private final String topic;

    public CountSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Event e, KafkaSinkContext context, Long timestamp) {
        StringBuilder b = new StringBuilder(32).append("{\"k\":");
        JsJson.string(b, e.k);
        b.append(",\"n\":").append(e.n).append('}');
        List<Header> headers = Lineage.headers(e.ts, e.srcTopic, e.srcPartition, e.srcOffset);
        return new ProducerRecord<>(topic, null, e.ts >= 0 ? e.ts : null, e.k.getBytes(StandardCharsets.UTF_8), b.toString().getBytes(StandardCharsets.UTF_8), headers);
    }
}
