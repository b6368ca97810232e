package dev.moldau.tests;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One member of a consumer group with the Java client and the consumer rebalance
 * protocol (KIP-848, group.protocol=consumer), for tests/test_groups_kip848.py:
 * subscribes to a topic, commits synchronously after each poll, then prints
 * "R partition offset value" per record; "ASSIGN p,p" and "REVOKE p,p" name the
 * partitions added and taken away. On SIGTERM it leaves the group and exits.
 *
 * <p>Usage: ConsumerProtocolMember BOOTSTRAP GROUP TOPIC CLIENT_ID
 */
public final class ConsumerProtocolMember {
  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private static String partitions(Collection<TopicPartition> ps) {
    return ps.stream().map(tp -> Integer.toString(tp.partition())).collect(Collectors.joining(","));
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ConsumerProtocolMember BOOTSTRAP GROUP TOPIC CLIENT_ID");
      System.exit(2);
    }
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, args[3]);
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
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
      consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> ps) {
          if (!ps.isEmpty()) say("REVOKE " + partitions(ps));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> ps) {
          if (!ps.isEmpty()) say("ASSIGN " + partitions(ps));
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> ps) {
          if (!ps.isEmpty()) say("REVOKE " + partitions(ps));
        }
      });
      while (true) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) continue;
        try {
          consumer.commitSync();
        } catch (CommitFailedException e) {
          say("COMMITFAIL " + e);
        } catch (KafkaException e) {
          if (e instanceof WakeupException) throw e;
          say("COMMITFAIL " + e);
        }
        StringBuilder out = new StringBuilder();
        for (ConsumerRecord<String, String> r : records) {
          out.append("R ").append(r.partition()).append(' ').append(r.offset()).append(' ')
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
      say("CLOSED");
    }
  }
}
