package dev.moldau.tests;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Drives the Java client against a broker in one JVM (JVM start-up is the expensive
 * part), and prints what happened as tab-separated lines for the Python test to check:
 *
 * <pre>
 *   ADMIN  ok|fail  detail
 *   P      codec  partition  offset  key  value            (a delivered record)
 *   C      codec  partition  offset  key  value  tstype    (a consumed record)
 *   DONE   codec  ok|fail  detail
 * </pre>
 *
 * Usage: ClientCheck --bootstrap HOST:PORT [--count N] [--partitions P] [--timeout-ms T]
 *        [--scratch-topic NAME] codec=topic ...
 * The topics are created by this program (with the admin client) with P partitions.
 * No consumer group is used: the consumer assigns partitions itself, and the producer
 * is not idempotent, so only Metadata, Produce, Fetch and ListOffsets are needed
 * beyond the admin APIs.
 */
public final class ClientCheck {
    private static final PrintStream OUT =
            new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        String bootstrap = null;
        int count = 1000;
        int partitions = 4;
        long timeoutMs = 60_000;
        String scratch = null;
        Map<String, String> topics = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bootstrap" -> bootstrap = args[++i];
                case "--count" -> count = Integer.parseInt(args[++i]);
                case "--partitions" -> partitions = Integer.parseInt(args[++i]);
                case "--timeout-ms" -> timeoutMs = Long.parseLong(args[++i]);
                case "--scratch-topic" -> scratch = args[++i];
                default -> {
                    String[] kv = args[i].split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("expected codec=topic, got " + args[i]);
                    }
                    topics.put(kv[0], kv[1]);
                }
            }
        }
        if (bootstrap == null) {
            throw new IllegalArgumentException("--bootstrap is required");
        }
        int exit = 0;
        try {
            admin(bootstrap, topics, partitions, scratch);
        } catch (Exception e) {
            OUT.println("ADMIN\tfail\t" + oneLine(e));
            exit = 1;
        }
        for (Map.Entry<String, String> e : topics.entrySet()) {
            try {
                roundTrip(bootstrap, e.getKey(), e.getValue(), count, partitions, timeoutMs);
                OUT.println("DONE\t" + e.getKey() + "\tok\t");
            } catch (Exception ex) {
                OUT.println("DONE\t" + e.getKey() + "\tfail\t" + oneLine(ex));
                exit = 1;
            }
            OUT.flush();
        }
        OUT.flush();
        System.exit(exit);
    }

    private static String oneLine(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        return sb.toString().replace('\n', ' ').replace('\t', ' ');
    }

    /** Creates the topics, describes them, alters and describes a config, deletes a scratch topic. */
    private static void admin(String bootstrap, Map<String, String> topics, int partitions, String scratch)
            throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> create = new ArrayList<>();
            for (String t : topics.values()) {
                create.add(new NewTopic(t, partitions, (short) 1));
            }
            if (scratch != null) {
                create.add(new NewTopic(scratch, 1, (short) 1)
                        .configs(Map.of("retention.ms", "3600000")));
            }
            admin.createTopics(create).all().get(30, TimeUnit.SECONDS);

            List<String> names = new ArrayList<>(topics.values());
            if (scratch != null) {
                names.add(scratch);
            }
            Map<String, TopicDescription> described =
                    admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            for (String t : topics.values()) {
                int n = described.get(t).partitions().size();
                if (n != partitions) {
                    throw new IllegalStateException(t + " has " + n + " partitions, expected " + partitions);
                }
            }
            if (scratch != null) {
                ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, scratch);
                admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
                        new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET))))
                        .all().get(30, TimeUnit.SECONDS);
                // A broker may apply a metadata change a moment after acknowledging it
                // (Kafka's KRaft brokers do), so poll, within a deadline.
                ConfigEntry ret = null;
                long deadline = System.currentTimeMillis() + 10_000;
                do {
                    Config cfg = admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res);
                    ret = cfg.get("retention.ms");
                    if (ret != null && "7200000".equals(ret.value())) {
                        break;
                    }
                    Thread.sleep(100);
                } while (System.currentTimeMillis() < deadline);
                if (ret == null || !"7200000".equals(ret.value())
                        || ret.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) {
                    throw new IllegalStateException("retention.ms after alter: " + ret);
                }
                admin.deleteTopics(List.of(scratch)).all().get(30, TimeUnit.SECONDS);
                deadline = System.currentTimeMillis() + 10_000;
                while (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(scratch)) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException(scratch + " still listed 10 s after delete");
                    }
                    Thread.sleep(100);
                }
            }
            String cluster = admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
            OUT.println("ADMIN\tok\tcluster=" + cluster + " topics=" + described.size());
        }
    }

    static String value(String codec, int i) {
        // Compressible but not trivial: a counter, the codec, and some repeated text.
        return codec + "-" + String.format("%08d", i) + "-" + "moldau java client check ".repeat(1 + (i % 7));
    }

    private static void roundTrip(String bootstrap, String codec, String topic, int count, int partitions,
                                  long timeoutMs) throws Exception {
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        AtomicReference<Exception> failure = new AtomicReference<>();
        RecordMetadata[] delivered = new RecordMetadata[count];
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            for (int i = 0; i < count; i++) {
                final int idx = i;
                producer.send(new ProducerRecord<>(topic, "k" + (i % 16), value(codec, i)), (md, ex) -> {
                    if (ex != null) {
                        failure.compareAndSet(null, ex);
                    } else {
                        delivered[idx] = md;
                    }
                });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        for (int i = 0; i < count; i++) {
            RecordMetadata md = delivered[i];
            OUT.println("P\t" + codec + "\t" + md.partition() + "\t" + md.offset() + "\tk" + (i % 16) + "\t"
                    + value(codec, i));
        }

        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        int got = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (got < count && System.currentTimeMillis() < deadline) {
                ConsumerRecords<String, String> recs = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, String> r : recs) {
                    OUT.println("C\t" + codec + "\t" + r.partition() + "\t" + r.offset() + "\t" + r.key() + "\t"
                            + r.value() + "\t" + r.timestampType());
                    got++;
                }
            }
        }
        if (got != count) {
            throw new IllegalStateException("consumed " + got + " of " + count + " records");
        }
    }
}
