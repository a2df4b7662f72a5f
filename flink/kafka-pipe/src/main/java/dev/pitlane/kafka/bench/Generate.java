package dev.pitlane.kafka.bench;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The bench's input, as bench/engine.ts writes it with kafkajs: record i has key
 * key-((i * 7919) % keys), value {"k":"key-…","ts":i} and timestamp 1700000000000 + i.
 * Partitioned by key with Kafka's default (murmur2) partitioner, as kafkajs's default.
 */
public final class Generate {
    private Generate() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv);
        String topic = a.required("topic");
        long records = a.number("records", 0);
        long keys = a.number("keys", 100_000);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.required("bootstrap-servers"));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 << 10));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        AtomicReference<Exception> failed = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (long i = 0; i < records; i++) {
                String k = "key-" + ((i * 7919) % keys);
                byte[] value = ("{\"k\":\"" + k + "\",\"ts\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, null, 1_700_000_000_000L + i, k.getBytes(StandardCharsets.UTF_8), value), (m, e) -> {
                    if (e != null) failed.compareAndSet(null, e);
                });
                if (failed.get() != null) throw failed.get();
            }
            producer.flush();
            if (failed.get() != null) throw failed.get();
        }
        System.out.println("{\"records\":" + records + "}");
    }
}
