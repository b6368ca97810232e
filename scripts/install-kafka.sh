#!/usr/bin/env bash
# Fetches Apache Kafka's broker and CLI tools (with every dependency) from Maven
# Central into a cache directory, and prints that directory's libs/ path.
#
# Usage: scripts/install-kafka.sh [version]      (default: $KAFKA_VERSION or 4.3.1)
#
# The Kafka distribution tarball is not on Maven Central, but its jars are:
# org.apache.kafka:kafka_2.13 (broker, KRaft controller, StorageTool) and
# org.apache.kafka:kafka-tools (kafka-topics, kafka-configs, console producer and
# consumer, ...). A small pom resolves both and `mvn dependency:copy-dependencies`
# puts everything into ${MOLDAU_CACHE:-$HOME/.cache/moldau}/kafka-<version>/libs.
# Run any tool with `java -cp '<libs>/*' <main class>`, or with tests/kafka_tool.sh.
#
# 4.3.1 is the newest 4.x release for which Maven Central has both artifacts
# (kafka_2.13 4.4.0 is there, kafka-tools 4.4.0 is not). Idempotent: a second run
# only prints the path.
set -euo pipefail

version=${1:-${KAFKA_VERSION:-4.3.1}}
case "$version" in
  4.*) ;;
  *) echo "install-kafka: want a Kafka 4.x version, got '$version'" >&2; exit 2 ;;
esac

cache=${MOLDAU_CACHE:-$HOME/.cache/moldau}
dest="$cache/kafka-$version"
libs="$dest/libs"
stamp="$dest/.complete"

if [ -f "$stamp" ] && [ -d "$libs" ]; then
  echo "$libs"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-kafka: '$tool' not found; run 'make test-deps' (scripts/install-deps.sh test) first" >&2
    exit 1
  fi
done

mkdir -p "$dest"
work=$(mktemp -d "$dest/.resolve.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Kafka's poms bring slf4j-api 1.7 and no logging backend; the distribution ships
# slf4j 2 with log4j2's binding, so add those to get the broker's log.
cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.moldau.test</groupId>
  <artifactId>kafka-dist</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.25.4</version></dependency>
  </dependencies>
</project>
EOF

echo "install-kafka: resolving Apache Kafka $version from Maven Central (broker + tools)" >&2
if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$work/libs" -DincludeScope=runtime >"$work/mvn.log" 2>&1; then
  echo "install-kafka: Maven could not resolve Kafka $version:" >&2
  grep -E 'ERROR|Could not' "$work/mvn.log" | head -20 >&2
  exit 1
fi

# Drop an slf4j 1.x api if one came along, so that only slf4j 2 is on the class path.
rm -f "$work"/libs/slf4j-api-1.*.jar
for jar in "kafka_2.13-$version.jar" "kafka-tools-$version.jar" "kafka-clients-$version.jar"; do
  [ -f "$work/libs/$jar" ] || { echo "install-kafka: $jar missing after resolution" >&2; exit 1; }
done

# log4j2 configurations: the broker logs INFO to stdout (captured by the caller),
# the tools log only warnings to stderr, as Kafka's bin/ scripts do.
mkdir -p "$work/config"
cat >"$work/config/server-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/>
    <Logger name="org.apache.kafka" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Root level="INFO"><AppenderRef ref="STDOUT"/></Root>
  </Loggers>
</Configuration>
EOF
cat >"$work/config/tools-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="STDERR" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="WARN"><AppenderRef ref="STDERR"/></Root>
  </Loggers>
</Configuration>
EOF

rm -rf "$libs" "$dest/config"
mv "$work/libs" "$libs"
mv "$work/config" "$dest/config"
echo "$version" >"$stamp"
echo "$libs"
