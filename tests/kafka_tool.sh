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

# The first of the given classes that Kafka's jars hold (some tools moved between
# the broker jar and kafka-tools across 4.x releases).
pick() {
  local cls jar
  for cls in "$@"; do
    for jar in "$libs"/kafka-tools-[0-9]*.jar "$libs"/kafka_2.13-*.jar; do
      if unzip -l "$jar" "${cls//.//}.class" >/dev/null 2>&1; then
        echo "$cls"
        return
      fi
    done
  done
  echo "$1"
}

server=0
case "$tool" in
  kafka-server-start) main=kafka.Kafka; server=1 ;;
  kafka-storage) main=kafka.tools.StorageTool ;;
  kafka-topics) main=org.apache.kafka.tools.TopicCommand ;;
  kafka-configs) main=$(pick org.apache.kafka.tools.ConfigCommand kafka.admin.ConfigCommand) ;;
  kafka-console-producer) main=org.apache.kafka.tools.ConsoleProducer ;;
  kafka-console-consumer) main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  kafka-consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  kafka-get-offsets) main=org.apache.kafka.tools.GetOffsetShell ;;
  kafka-delete-records) main=org.apache.kafka.tools.DeleteRecordsCommand ;;
  kafka-producer-perf-test) main=org.apache.kafka.tools.ProducerPerformance ;;
  kafka-consumer-perf-test) main=org.apache.kafka.tools.ConsumerPerformance ;;
  kafka-transactions) main=org.apache.kafka.tools.TransactionsCommand ;;
  kafka-dump-log) main=$(pick org.apache.kafka.tools.DumpLogSegments kafka.tools.DumpLogSegments) ;;
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

# Tools start about twice as fast with a class-data-sharing archive of the classes
# they load: the first run of each tool writes one beside the jars, later runs map it.
# (KAFKA_TOOL_CDS=0 turns this off.)
cds=()
if [ "$server" = 0 ] && [ "${KAFKA_TOOL_CDS:-1}" = 1 ]; then
  cds_dir="$libs/../cds"
  jsa="$cds_dir/${tool##*.}.jsa"
  quiet_cds=(-Xlog:cds=off -Xlog:cds+dynamic=off)
  if [ -s "$jsa" ]; then
    cds=(-XX:SharedArchiveFile="$jsa" "${quiet_cds[@]}")
  elif mkdir -p "$cds_dir" 2>/dev/null; then
    tmp="$jsa.$$.tmp"
    rc=0
    # shellcheck disable=SC2086
    java $heap $perf $log4j ${KAFKA_OPTS:-} -XX:ArchiveClassesAtExit="$tmp" "${quiet_cds[@]}" \
      -cp "$libs/*" "$main" "$@" || rc=$?
    if [ -s "$tmp" ]; then mv -f "$tmp" "$jsa"; fi
    rm -f "$tmp"
    exit $rc
  fi
fi

# shellcheck disable=SC2086  # the *_OPTS variables are word lists, as in Kafka's scripts
exec java $heap $perf $log4j ${KAFKA_OPTS:-} "${cds[@]}" -cp "$libs/*" "$main" "$@"
