"""Apache Kafka's Java client (kafka-clients 4.x from Maven Central) with every codec
(issue 4), in one JVM: tests/java's ClientCheck creates the topics with the Java admin
client (and alters, describes and deletes a scratch topic), produces with acks=all,
and consumes with assign() (no consumer group). The records are then read again with
confluent-kafka."""

import pytest

from harness.clients import CODECS
from harness.external import check_codec, parse_run
from harness.util import TESTS_DIR, run, unique_topic

pytestmark = pytest.mark.produce_fetch

COUNT = 2000
JAVA_DIR = TESTS_DIR / "java"


@pytest.fixture(scope="module")
def java_client(broker):
    jar = JAVA_DIR / "target" / "client-check.jar"
    assert jar.is_file(), f"{jar} missing: run scripts/install-test-clients.sh"
    topics = {codec: unique_topic(f"java-{codec}") for codec in CODECS}
    r = run(["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
             "-cp", f"{jar}:{JAVA_DIR / 'target' / 'lib'}/*", "dev.moldau.tests.ClientCheck",
             "--bootstrap", broker.bootstrap, "--count", COUNT, "--partitions", 4, "--timeout-ms", 60000,
             "--scratch-topic", unique_topic("java-scratch"), *[f"{c}={t}" for c, t in topics.items()]],
            timeout=300)
    out = parse_run(r)
    out.topics = topics
    return out


def test_java_admin_client(java_client):
    assert java_client.admin and java_client.admin[0] == "ok", f"{java_client.admin}\n{java_client.result.describe()}"


@pytest.mark.parametrize("codec", CODECS)
def test_java_round_trip(java_client, broker, codec):
    check_codec(java_client, codec, COUNT, "Java client", bootstrap=broker.bootstrap, topic=java_client.topics[codec])
    assert {r.timestamp_type for r in java_client.consumed[codec]} == {"CreateTime"}
