"""Issue 4's acceptance checks: 40,000 keyed records per codec over 4 partitions with
acks=all, read back in per-key order by confluent-kafka; kafka-python round-trips
5,000; a consumer waiting with fetch.wait.max.ms=5000 receives a new record in under a
second; offsets_for_times returns the first offset at or after a timestamp."""

import time

import pytest
from confluent_kafka import OFFSET_END, TopicPartition
from confluent_kafka.admin import OffsetSpec
from kafka import KafkaConsumer, TopicPartition as KpTopicPartition

from harness.clients import (CODECS, confluent_consume, confluent_consumer, confluent_produce,
                             confluent_producer, kp_consume, kp_produce, make_records, verify_roundtrip)
from harness.util import wait_until

pytestmark = [pytest.mark.produce_fetch, pytest.mark.acceptance]

T = 30


@pytest.mark.timeout(300)
@pytest.mark.parametrize("codec", CODECS)
def test_40000_keyed_records_per_codec_acks_all(broker, new_topic, codec):
    topic = new_topic(partitions=4)
    sent = make_records(f"acc{codec}", 40_000, keys=100, pad="k")
    delivered = confluent_produce(broker.bootstrap, topic, sent, codec=codec, timeout=120, acks="all")
    received = confluent_consume(broker.bootstrap, topic, range(4), len(sent), timeout=120)
    verify_roundtrip(sent, received, delivered, what=f"40,000 {codec}")
    assert len({r.partition for r in received}) == 4


@pytest.mark.timeout(180)
def test_kafka_python_round_trips_5000(broker, new_topic):
    topic = new_topic(partitions=4)
    sent = make_records("kp5000", 5000)
    delivered = kp_produce(broker.bootstrap, topic, sent, codec="gzip", timeout=90)
    received = kp_consume(broker.bootstrap, topic, range(4), len(sent), timeout=90)
    verify_roundtrip(sent, received, delivered, what="kafka-python 5,000")


def test_long_poll_is_woken_by_a_new_record(broker, new_topic):
    """The consumer's fetch waits up to 5 s on the broker; a record appended meanwhile
    must be delivered at once, not when the wait runs out."""
    topic = new_topic(partitions=2)
    producer = confluent_producer(broker.bootstrap, **{"linger.ms": 0, "acks": "1"})
    producer.produce(topic, value=b"warm-up", partition=1)  # connection and metadata ready
    assert producer.flush(T) == 0
    c = confluent_consumer(broker.bootstrap, **{"fetch.wait.max.ms": 5000, "fetch.min.bytes": 1})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        latencies = []
        for i in range(3):
            deadline = time.monotonic() + 1.5  # let a fetch reach the broker and wait there
            while time.monotonic() < deadline:
                assert c.poll(0.1) is None
            t0 = time.monotonic()
            producer.produce(topic, value=f"wake-{i}".encode(), partition=0)
            m = None
            while m is None and time.monotonic() - t0 < 10:
                m = c.poll(0.01)
            assert m is not None and m.error() is None and m.value() == f"wake-{i}".encode(), m
            latencies.append(time.monotonic() - t0)
            assert producer.flush(T) == 0
        assert max(latencies) < 1.0, f"new records took {latencies} s to arrive (fetch.wait.max.ms=5000)"
    finally:
        c.close()


def test_offsets_for_times_first_offset_at_or_after(broker, admin, new_topic):
    topic = new_topic()
    t0 = int(time.time() * 1000) - 600_000
    # The timestamp peak is in the middle: the answer is the *first* offset whose
    # timestamp is >= the target, not the first larger one after the peak.
    deltas = [0, 1000, 2000, 3000, 4000, 5000, 9000, 6000, 7000, 8000]
    recs = make_records("oft", len(deltas), keys=0)
    # Two batches of five, so that a lookup has to look inside batches.
    confluent_produce(broker.bootstrap, topic, recs[:5], partition=0, timestamps=[t0 + d for d in deltas[:5]])
    confluent_produce(broker.bootstrap, topic, recs[5:], partition=0, timestamps=[t0 + d for d in deltas[5:]])

    cases = {t0 - 5000: 0, t0: 0, t0 + 1: 1, t0 + 2500: 3, t0 + 3000: 3, t0 + 5000: 5,
             t0 + 5500: 6, t0 + 6500: 6, t0 + 9000: 6, t0 + 9001: -1}
    c = confluent_consumer(broker.bootstrap)
    try:
        for ts, want in cases.items():
            (tp,) = c.offsets_for_times([TopicPartition(topic, 0, ts)], timeout=T)
            assert tp.error is None and tp.offset == want, f"confluent-kafka: ts {ts - t0:+d}: {tp.offset}, want {want}"
    finally:
        c.close()

    kc = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None, request_timeout_ms=15000)
    try:
        tp = KpTopicPartition(topic, 0)
        for ts, want in cases.items():
            got = kc.offsets_for_times({tp: ts})[tp]
            assert (got.offset if got else -1) == want, f"kafka-python: ts {ts - t0:+d}: {got}, want {want}"
            if got:
                assert got.timestamp == t0 + deltas[want]
        assert kc.beginning_offsets([tp])[tp] == 0 and kc.end_offsets([tp])[tp] == 10
    finally:
        kc.close()

    res = admin.list_offsets({TopicPartition(topic, 0): OffsetSpec.max_timestamp()}, request_timeout=T)
    (info,) = [f.result(T) for f in res.values()]
    assert (info.offset, info.timestamp) == (6, t0 + 9000), "ListOffsets MAX_TIMESTAMP"
