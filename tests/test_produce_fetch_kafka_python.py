"""Produce and fetch with kafka-python (PyPI's newest, 3.x) (issue 4): every codec,
ListOffsets, and OffsetOutOfRange with and without auto_offset_reset."""

import pytest
import kafka.errors as Errors
from kafka import KafkaConsumer, TopicPartition

from harness.clients import CODECS, confluent_produce, kp_consume, kp_produce, make_records, verify_roundtrip

pytestmark = pytest.mark.produce_fetch


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_every_codec(broker, new_topic, codec):
    topic = new_topic(partitions=4)
    sent = make_records(f"kp{codec}", 1000)
    delivered = kp_produce(broker.bootstrap, topic, sent, codec=codec)
    received = kp_consume(broker.bootstrap, topic, range(4), len(sent))
    verify_roundtrip(sent, received, delivered, what=f"kafka-python {codec}")


def test_offsets_and_out_of_range(broker, new_topic):
    topic = new_topic(partitions=2)
    confluent_produce(broker.bootstrap, topic, make_records("kpoor", 10, keys=0), partition=0)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)

    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None, enable_auto_commit=False,
                      auto_offset_reset="earliest", request_timeout_ms=15000)
    try:
        assert c.beginning_offsets([tp0, tp1]) == {tp0: 0, tp1: 0}
        assert c.end_offsets([tp0, tp1]) == {tp0: 10, tp1: 0}
        c.assign([tp0])
        c.seek(tp0, 500)
        got = []
        for _ in range(50):
            for msgs in c.poll(timeout_ms=200).values():
                got.extend(m.offset for m in msgs)
            if len(got) >= 10:
                break
        assert got[:10] == list(range(10)), "auto_offset_reset=earliest after an out-of-range fetch"
    finally:
        c.close()

    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None, enable_auto_commit=False,
                      auto_offset_reset="none", request_timeout_ms=15000)
    try:
        c.assign([tp0])
        c.seek(tp0, 500)
        with pytest.raises(Errors.OffsetOutOfRangeError):
            for _ in range(50):
                c.poll(timeout_ms=200)
    finally:
        c.close()
