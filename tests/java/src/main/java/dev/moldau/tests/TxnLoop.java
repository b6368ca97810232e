package dev.moldau.tests;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A Java consume-transform-produce loop for tests/test_transactions.py: a read_committed
 * KafkaConsumer in GROUP (no auto commit) and a transactional KafkaProducer. For each poll
 * batch: begin, produce "<VALUE UPPER-CASED>@<partition>:<offset>" to OUT_TOPIC on the input
 * record's partition, sendOffsetsToTransaction(batch's next offsets, groupMetadata), then
 * commit -- except every third transaction, which is aborted, after which the consumer is
 * sought back to the group's committed offsets (the beginning where none). Stops once COUNT
 * input records were committed or after DEADLINE_S seconds. Prints one JSON line:
 * {"processed":..,"committed":..,"aborted":..,"reprocessed":..}. Any exception fails the run.
 *
 * <p>Usage: TxnLoop BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP TXN_ID COUNT [DEADLINE_S]
 */
public final class TxnLoop {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String in = args[1];
    String out = args[2];
    String group = args[3];
    String txnId = args[4];
    long count = Long.parseLong(args[5]);
    long deadlineS = args.length > 6 ? Long.parseLong(args[6]) : 120;

    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());

    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);

    long processed = 0;
    long committed = 0;
    long aborted = 0;
    long reprocessed = 0;
    long deadline = System.nanoTime() + deadlineS * 1_000_000_000L;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c);
        KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      consumer.subscribe(List.of(in));
      long txn = 0;
      while (processed < count && System.nanoTime() < deadline) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
          continue;
        }
        txn++;
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, String> r : records) {
          String v = r.value().toUpperCase() + "@" + r.partition() + ":" + r.offset();
          producer.send(new ProducerRecord<>(out, r.partition(), r.key(), v));
          next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
        if (txn % 3 == 0) {
          producer.abortTransaction();
          aborted++;
          reprocessed += records.count();
          // Back to the last committed positions, so the aborted batch is read again.
          Set<TopicPartition> assigned = consumer.assignment();
          Map<TopicPartition, OffsetAndMetadata> last = consumer.committed(assigned);
          for (TopicPartition tp : assigned) {
            OffsetAndMetadata om = last.get(tp);
            if (om == null) {
              consumer.seekToBeginning(List.of(tp));
            } else {
              consumer.seek(tp, om);
            }
          }
        } else {
          producer.commitTransaction();
          committed++;
          processed += records.count();
        }
      }
    }
    System.out.println("{\"processed\":" + processed + ",\"committed\":" + committed
        + ",\"aborted\":" + aborted + ",\"reprocessed\":" + reprocessed + "}");
  }
}
