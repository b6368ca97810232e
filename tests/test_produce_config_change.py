"""Produce sees a topic's config as changed by IncrementalAlterConfigs at once on the
next request: Moldau caches the produce settings per metadata image (Broker::
topic_settings), so a stale cache would keep accepting or refusing by the old
max.message.bytes / cleanup.policy. Raw Produce requests (harness.wire) give exact
error codes."""

import os

import pytest
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from harness import wire
from harness.util import wait_until

pytestmark = pytest.mark.produce_fetch

T = 30
INVALID_RECORD = 87  # Kafka: a keyless record for a compacted topic


def alter(admin, topic, key, value):
    op = AlterConfigOpType.SET if value is not None else AlterConfigOpType.DELETE
    res = ConfigResource(ResourceType.TOPIC, topic,
                         incremental_configs=[ConfigEntry(key, value, incremental_operation=op)])
    admin.incremental_alter_configs([res], request_timeout=T)[res].result(T)


def produce_code(broker, topic, records):
    with wire.Connection(broker.host, broker.port) as c:
        return wire.produce(c, topic, 0, wire.encode_record_batch(records)).error_code


def test_max_message_bytes_change_applies_to_the_next_produce(broker, admin, new_topic):
    topic = new_topic()
    big = [(None, os.urandom(5000), [])]
    assert produce_code(broker, topic, big) == 0, "5 kB fits the default max.message.bytes"

    alter(admin, topic, "max.message.bytes", "1000")
    # Kafka applies a config change asynchronously (a moment after the answer); Moldau at once.
    wait_until(lambda: produce_code(broker, topic, big) == wire.MESSAGE_TOO_LARGE, 15,
               what="a 5 kB batch refused after max.message.bytes=1000")
    assert produce_code(broker, topic, [(None, b"x" * 100, [])]) == 0, "small batches still fit"

    alter(admin, topic, "max.message.bytes", "100000")
    wait_until(lambda: produce_code(broker, topic, big) == 0, 15,
               what="a 5 kB batch accepted again after max.message.bytes=100000")

    alter(admin, topic, "max.message.bytes", None)
    wait_until(lambda: produce_code(broker, topic, big) == 0, 15, what="accepted with the default again")


def test_cleanup_policy_compact_change_requires_keys(broker, admin, new_topic):
    topic = new_topic()
    keyless = [(None, b"v", [])]
    assert produce_code(broker, topic, keyless) == 0
    alter(admin, topic, "cleanup.policy", "compact")
    wait_until(lambda: produce_code(broker, topic, keyless) == INVALID_RECORD, 15,
               what="a keyless record refused once the topic is compacted")
    assert produce_code(broker, topic, [(b"k", b"v", [])]) == 0, "keyed records are accepted"
