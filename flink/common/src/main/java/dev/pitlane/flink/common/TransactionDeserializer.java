package dev.pitlane.flink.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a transaction from a record's JSON value and keeps the record's position.
 * A record that is not a transaction (not JSON, no string userId, no numeric amount
 * or ts) is skipped and counted (metric `pitlane.undecodable`), never a job failure.
 */
public class TransactionDeserializer implements KafkaRecordDeserializationSchema<Transaction> {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionDeserializer.class);
    private transient ObjectMapper mapper;
    private transient Counter undecodable;

    @Override
    public void open(org.apache.flink.api.common.serialization.DeserializationSchema.InitializationContext context) {
        mapper = new ObjectMapper();
        undecodable = context.getMetricGroup().counter("pitlane.undecodable");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Transaction> out) {
        Transaction t = parse(record);
        if (t != null) {
            out.collect(t);
            return;
        }
        if (undecodable != null) undecodable.inc();
        LOG.warn("Skipping a record that is not a transaction at {}-{}@{}", record.topic(), record.partition(), record.offset());
    }

    private Transaction parse(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) return null;
        if (mapper == null) mapper = new ObjectMapper();
        JsonNode n;
        try {
            n = mapper.readTree(record.value());
        } catch (java.io.IOException e) {
            return null;
        }
        if (n == null || !n.isObject() || !n.path("userId").isTextual() || !n.path("amount").isNumber() || !n.path("ts").isNumber()) return null;
        Transaction t = new Transaction();
        t.txId = n.path("txId").isTextual() ? n.path("txId").asText() : null;
        t.userId = n.path("userId").asText();
        t.amount = n.path("amount").asDouble();
        t.ts = n.path("ts").asLong();
        t.srcTopic = record.topic();
        t.srcPartition = record.partition();
        t.srcOffset = record.offset();
        return t;
    }

    @Override
    public TypeInformation<Transaction> getProducedType() {
        return TypeInformation.of(Transaction.class);
    }
}
