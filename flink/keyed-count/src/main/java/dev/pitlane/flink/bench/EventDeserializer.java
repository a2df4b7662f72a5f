package dev.pitlane.flink.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes the whole JSON value, as the embedded job's fromKafka does (JSON.parse), and
 * keeps the record's timestamp and position. A record without a string "k" is skipped
 * and counted (metric `pitlane.undecodable`).
 */
public class EventDeserializer implements KafkaRecordDeserializationSchema<Event> {
    private transient ObjectMapper mapper;
    private transient Counter undecodable;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        mapper = new ObjectMapper();
        undecodable = context.getMetricGroup().counter("pitlane.undecodable");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Event> out) {
        JsonNode n = null;
        try {
            if (record.value() != null) n = mapper.readTree(record.value());
        } catch (java.io.IOException e) {
            n = null;
        }
        if (n == null || !n.path("k").isTextual()) {
            undecodable.inc();
            return;
        }
        Event e = new Event();
        e.k = n.path("k").asText();
        e.ts = record.timestamp();
        e.srcTopic = record.topic();
        e.srcPartition = record.partition();
        e.srcOffset = record.offset();
        out.collect(e);
    }

    @Override
    public TypeInformation<Event> getProducedType() {
        return TypeInformation.of(Event.class);
    }
}
