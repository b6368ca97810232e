package dev.moldau.tests;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One member of a consumer group with the Java client and the classic protocol, for
 * tests/test_groups_clients.py: subscribes to a topic, commits after each poll
 * synchronously, then prints each record as "R\tpartition\toffset\tvalue"; on SIGTERM
 * it leaves the group and exits.
 *
 * <p>Usage: GroupMember BOOTSTRAP GROUP TOPIC CLIENT_ID
 *
 * <p>The range assignor is the one protocol every client in that test offers.
 */
public final class GroupMember {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: GroupMember BOOTSTRAP GROUP TOPIC CLIENT_ID");
      System.exit(2);
    }
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, args[3]);
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        "org.apache.kafka.clients.consumer.RangeAssignor");
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());

    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.wakeup();
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    try {
      consumer.subscribe(List.of(args[2]));
      while (true) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) continue;
        try {
          consumer.commitSync();
        } catch (CommitFailedException | RebalanceInProgressException e) {
          // The records will be read again by whoever owns them next.
          System.err.println("E commit failed: " + e);
          continue;
        }
        StringBuilder out = new StringBuilder();
        for (ConsumerRecord<String, String> r : records) {
          out.append("R\t").append(r.partition()).append('\t').append(r.offset()).append('\t')
              .append(r.value()).append('\n');
        }
        System.out.print(out);
        System.out.flush();
      }
    } catch (WakeupException e) {
      // SIGTERM
    } finally {
      consumer.close();
      closed.countDown();
    }
  }
}
