#!/usr/bin/env bash
# Runs one of Apache Kafka's command-line tools from the Maven Central jars that
# scripts/install-kafka.sh fetched, the way Kafka's bin/*.sh scripts would.
#
# Usage: tests/kafka_tool.sh <tool> [args...]
#   tool: kafka-topics | kafka-configs | kafka-console-producer | kafka-console-consumer
#         | kafka-consumer-groups | kafka-dump-log | kafka-storage | kafka-server-start
#         | kafka-get-offsets | kafka-delete-records | kafka-producer-perf-test
#         | kafka-consumer-perf-test | kafka-transactions   (a trailing .sh is accepted)
#         or a fully qualified main class.
# Environment: KAFKA_VERSION (default 4.3.1), KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS,
#   KAFKA_LOG4J_OPTS, KAFKA_OPTS: as in Kafka's kafka-run-class.sh.
# Example: tests/kafka_tool.sh kafka-topics --bootstrap-server 127.0.0.1:9092 --list
set -euo pipefail

if [ $# -lt 1 ]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
tool=${1%.sh}
shift

here=$(cd "$(dirname "$0")" && pwd)
libs=$(bash "$here/../scripts/install-kafka.sh" "${KAFKA_VERSION:-4.3.1}")
config="$libs/../config"

server=0
case "$tool" in
  kafka-server-start) main=kafka.Kafka; server=1 ;;
  kafka-storage) main=kafka.tools.StorageTool ;;
  kafka-topics) main=org.apache.kafka.tools.TopicCommand ;;
  kafka-configs) main=org.apache.kafka.tools.ConfigCommand ;;
  kafka-console-producer) main=org.apache.kafka.tools.ConsoleProducer ;;
  kafka-console-consumer) main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  kafka-consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  kafka-get-offsets) main=org.apache.kafka.tools.GetOffsetShell ;;
  kafka-delete-records) main=org.apache.kafka.tools.DeleteRecordsCommand ;;
  kafka-producer-perf-test) main=org.apache.kafka.tools.ProducerPerformance ;;
  kafka-consumer-perf-test) main=org.apache.kafka.tools.ConsumerPerformance ;;
  kafka-transactions) main=org.apache.kafka.tools.TransactionsCommand ;;
  kafka-dump-log)
    # Moved from the broker jar to kafka-tools in 4.3.
    if unzip -l "$(ls "$libs"/kafka-tools-[0-9]*.jar | head -1)" 'org/apache/kafka/tools/DumpLogSegments.class' >/dev/null 2>&1; then
      main=org.apache.kafka.tools.DumpLogSegments
    else
      main=kafka.tools.DumpLogSegments
    fi ;;
  *.*) main=$tool ;;
  *) echo "kafka_tool: unknown tool '$tool'" >&2; exit 2 ;;
esac

if [ "$server" = 1 ]; then
  # Kafka's kafka-server-start.sh defaults.
  heap=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
  perf=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}
  log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$config/server-log4j2.xml}
else
  # Short-lived tools: a small heap and a JVM tuned for start-up time, not throughput.
  heap=${KAFKA_HEAP_OPTS:--Xmx256M}
  perf=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true}
  log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$config/tools-log4j2.xml}
fi

# shellcheck disable=SC2086  # the *_OPTS variables are word lists, as in Kafka's scripts
exec java $heap $perf $log4j ${KAFKA_OPTS:-} -cp "$libs/*" "$main" "$@"
