package dev.moldau.tests;

import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A transactional Java producer for tests/test_transactions.py: for each argument "commit"
 * or "abort", one transaction of COUNT records ("<label>-<txn>-<i>") to TOPIC, then commit
 * or abort. Prints "ok" at the end; any exception fails the run.
 *
 * <p>Usage: TxnProducer BOOTSTRAP TOPIC TXN_ID COUNT commit|abort...
 */
public final class TxnProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String txnId = args[2];
    int count = Integer.parseInt(args[3]);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      for (int t = 4; t < args.length; t++) {
        String what = args[t];
        producer.beginTransaction();
        for (int i = 0; i < count; i++) {
          producer.send(new ProducerRecord<>(topic, Integer.toString(i), what + "-" + t + "-" + i));
        }
        if (what.equals("commit")) {
          producer.commitTransaction();
        } else {
          producer.flush();
          producer.abortTransaction();
        }
      }
    }
    System.out.println("ok");
  }
}
