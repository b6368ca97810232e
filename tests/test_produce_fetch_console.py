"""Kafka's kafka-console-producer.sh and kafka-console-consumer.sh round trip (issue 4):
keyed lines in with zstd, read back with partition, offset and key printed.
The consumer reads one partition from the earliest offset (--partition/--offset), so
no group rebalance is involved (it still sets a generated group.id)."""

import pytest

from harness.clients import Rec, make_records, verify_roundtrip
from harness.util import kafka_tool

pytestmark = pytest.mark.produce_fetch

COUNT = 500


def test_console_producer_and_consumer_round_trip(broker, new_topic):
    topic = new_topic(partitions=1)
    sent = make_records("console", COUNT)
    kafka_tool("kafka-console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
               "--reader-property", "parse.key=true", "--compression-codec", "zstd",
               "--command-property", "acks=all",
               # The Java producer is idempotent by default; Moldau serves
               # InitProducerId only with issue 6, so this run opts out.
               "--command-property", "enable.idempotence=false",
               input="".join(f"{k}\t{v}\n" for k, v in sent), timeout=90).check("kafka-console-producer")
    r = kafka_tool("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
                   "--partition", "0", "--offset", "earliest", "--max-messages", str(COUNT),
                   "--timeout-ms", "30000", "--formatter-property", "print.key=true",
                   "--formatter-property", "print.partition=true", "--formatter-property", "print.offset=true",
                   timeout=90).check("kafka-console-consumer")
    received = []
    for line in r.stdout.splitlines():
        part, off, key, value = line.split("\t", 3)
        assert part.startswith("Partition:") and off.startswith("Offset:"), line
        received.append(Rec(key, value, int(part.split(":")[1]), int(off.split(":")[1])))
    verify_roundtrip(sent, received, what="console producer/consumer")
    assert [r.offset for r in received] == list(range(COUNT))
    assert f"Processed a total of {COUNT} messages" in r.stderr
