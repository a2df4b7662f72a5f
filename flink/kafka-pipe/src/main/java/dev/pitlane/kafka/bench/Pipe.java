package dev.pitlane.kafka.bench;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The I/O limit of a Kafka → job → Kafka pipeline: consume → produce with Kafka's own
 * Java client and nothing in between. A read_committed consumer (large fetches, every
 * partition assigned, no group) and an idempotent producer (acks=all, 256 KiB batches,
 * 5 ms linger); key, value, headers and timestamp copied. Stops after --records records
 * are written (flushed) and prints {"records":N,"ms":…} (from the first poll to the flush).
 *
 *   java -cp pitlane-flink-kafka-pipe.jar dev.pitlane.kafka.bench.Pipe \
 *     --bootstrap-servers 127.0.0.1:9092 --input IN --output OUT --records 1000000
 */
public final class Pipe {
    private Pipe() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv);
        String bootstrap = a.required("bootstrap-servers");
        String output = a.required("output");
        long records = a.number("records", 0);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 << 10));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(128L << 20));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        AtomicReference<Exception> failed = new AtomicReference<>();
        try (KafkaConsumer<byte[], byte[]> consumer = Args.consumer(bootstrap); KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            Args.assignAll(consumer, a.required("input"));
            producer.partitionsFor(output); // metadata before the clock starts
            long t0 = System.nanoTime();
            long startedAt = System.currentTimeMillis();
            long sent = 0;
            while (sent < records) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    if (sent >= records) break;
                    producer.send(new ProducerRecord<>(output, null, r.timestamp(), r.key(), r.value(), r.headers()), (m, e) -> {
                        if (e != null) failed.compareAndSet(null, e);
                    });
                    sent++;
                }
                if (failed.get() != null) throw failed.get();
            }
            producer.flush();
            if (failed.get() != null) throw failed.get();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("{\"records\":" + sent + ",\"ms\":" + ms + ",\"startedAt\":" + startedAt + ",\"doneAt\":" + System.currentTimeMillis() + "}");
        }
    }
}
