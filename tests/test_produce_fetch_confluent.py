"""Produce and fetch with confluent-kafka (PyPI's newest, bundled librdkafka 2.x)
(issue 4): every codec, acks, ListOffsets, OFFSET_OUT_OF_RANGE and auto.offset.reset,
MESSAGE_TOO_LARGE, LogAppendTime, auto-creation on and off. Also checks with a raw
Fetch that batches are stored with the codec the client used."""

import logging
import os
import time

import pytest
from confluent_kafka import KafkaError, OFFSET_END, TopicPartition
from confluent_kafka.admin import OffsetSpec

from harness import wire
from harness.clients import (CODECS, confluent_consume, confluent_consumer, confluent_produce,
                             confluent_producer, make_records, verify_roundtrip)
from harness.util import wait_until

pytestmark = pytest.mark.produce_fetch

T = 30


def raw_batches(broker, topic, partition, offset=0):
    with wire.Connection(broker.host, broker.port) as c:
        resp = wire.fetch(c, topic, partition, offset, max_bytes=8 << 20, partition_max_bytes=8 << 20)
    assert resp.error_code == 0, f"raw fetch error {resp.error_code}"
    return wire.decode_record_batches(resp.records or b"")


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_every_codec(broker, new_topic, codec):
    topic = new_topic(partitions=4)
    sent = make_records(codec, 2000)
    delivered = confluent_produce(broker.bootstrap, topic, sent, codec=codec)
    received = confluent_consume(broker.bootstrap, topic, range(4), len(sent))
    verify_roundtrip(sent, received, delivered, what=f"confluent-kafka {codec}")
    assert len({r.partition for r in received}) == 4, "16 keys should land on all 4 partitions"

    # Stored as sent: the batches carry the client's codec, with valid CRCs.
    for p in range(4):
        batches = raw_batches(broker, topic, p)
        assert batches, f"partition {p}: no batches"
        assert {b.compression for b in batches} == {codec}, f"partition {p}"
        assert all(b.crc_ok for b in batches)
        offsets = [b.base_offset for b in batches]
        assert offsets[0] == 0 and offsets == sorted(offsets)


@pytest.mark.parametrize("acks", ["0", "1"])
def test_acks_0_and_1(broker, new_topic, acks):
    topic = new_topic(partitions=2)
    sent = make_records(f"acks{acks}", 300)
    confluent_produce(broker.bootstrap, topic, sent, acks=acks)
    received = confluent_consume(broker.bootstrap, topic, range(2), len(sent))
    verify_roundtrip(sent, received, what=f"acks={acks}")


def test_list_offsets_earliest_latest(broker, admin, new_topic):
    topic = new_topic(partitions=2)
    c = confluent_consumer(broker.bootstrap)
    try:
        assert c.get_watermark_offsets(TopicPartition(topic, 0), timeout=T) == (0, 0)
        confluent_produce(broker.bootstrap, topic, make_records("lo", 25), partition=0)
        assert c.get_watermark_offsets(TopicPartition(topic, 0), timeout=T) == (0, 25)
        assert c.get_watermark_offsets(TopicPartition(topic, 1), timeout=T) == (0, 0)
        # the cached=False call above used ListOffsets; the admin API names the spec explicitly
        req = {TopicPartition(topic, 0): OffsetSpec.earliest(), TopicPartition(topic, 1): OffsetSpec.latest()}
        res = {tp.partition: f.result(T).offset for tp, f in admin.list_offsets(req, request_timeout=T).items()}
        assert res == {0: 0, 1: 0}
        res = admin.list_offsets({TopicPartition(topic, 0): OffsetSpec.latest()}, request_timeout=T)
        assert [f.result(T).offset for f in res.values()] == [25]
    finally:
        c.close()


def test_offset_out_of_range_and_auto_offset_reset(broker, new_topic):
    topic = new_topic()
    confluent_produce(broker.bootstrap, topic, make_records("oor", 10), partition=0)

    with wire.Connection(broker.host, broker.port) as c:
        assert wire.fetch(c, topic, 0, 1000).error_code == wire.OFFSET_OUT_OF_RANGE
        assert wire.fetch(c, topic, 0, -5).error_code == wire.OFFSET_OUT_OF_RANGE
        assert wire.fetch(c, topic, 0, 10).error_code == 0, "fetching at the end is not out of range"

    # earliest: back to offset 0
    got = confluent_consume(broker.bootstrap, topic, [0], 10, start=1000, timeout=T,
                            **{"auto.offset.reset": "earliest"})
    assert [r.offset for r in got] == list(range(10))

    # latest: only what is produced afterwards. librdkafka logs the reset when it
    # decides on it, but sends its ListOffsets(latest) about 100 ms later (a backoff
    # after a fetch error), so a record produced right after the log line can already
    # be below "latest". The partition-EOF event tells when the reset has landed: it
    # comes from the first fetch at the new position, and carries that position.
    resets = []

    class Sink(logging.Handler):
        def emit(self, record):
            if "offset reset" in record.getMessage():
                resets.append(record.getMessage())
    log = logging.getLogger(f"rdkafka-{topic}")
    log.addHandler(Sink())
    log.propagate = False
    c = confluent_consumer(broker.bootstrap, logger=log, **{"auto.offset.reset": "latest",
                                                             "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(topic, 0, 1000)])
        eof = wait_until(lambda: c.poll(0.2), T, interval=0, what="the end of the partition after the reset")
        assert eof.error() is not None and eof.error().code() == KafkaError._PARTITION_EOF, eof.error()
        assert eof.offset() == 10, f"reset to latest should land on 10, not {eof.offset()}"
        assert resets and "out of range" in resets[0].lower(), resets
        confluent_produce(broker.bootstrap, topic, [("k", "oor-00000010-late")], partition=0)
        m = wait_until(lambda: c.poll(0.5), T, interval=0, what="the late record")
        assert (m.error(), m.offset(), m.value()) == (None, 10, b"oor-00000010-late")
    finally:
        c.close()

    # error: the application is told
    c = confluent_consumer(broker.bootstrap, **{"auto.offset.reset": "error"})
    try:
        c.assign([TopicPartition(topic, 0, 1000)])
        m = wait_until(lambda: c.poll(0.5), T, interval=0, what="an error event")
        assert m.error() is not None and m.error().code() == KafkaError._AUTO_OFFSET_RESET, m.error()
        assert "out of range" in m.error().str().lower()
    finally:
        c.close()


def test_record_larger_than_max_message_bytes_is_refused(broker, new_topic):
    topic = new_topic(configs={"max.message.bytes": "10000"})
    confluent_produce(broker.bootstrap, topic, [("small", "x" * 5000)])  # fits
    p = confluent_producer(broker.bootstrap, **{"compression.type": "none"})
    errors = []
    p.produce(topic, value=os.urandom(20000), on_delivery=lambda err, msg: errors.append(err))
    assert p.flush(T) == 0
    assert len(errors) == 1 and errors[0] is not None, "the 20 kB record should have been refused"
    assert errors[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, errors[0]

    with wire.Connection(broker.host, broker.port) as c:
        resp = wire.produce(c, topic, 0, wire.encode_record_batch([(None, os.urandom(20000), [])]))
        assert resp.error_code == wire.MESSAGE_TOO_LARGE
        assert wire.fetch(c, topic, 0, 0).high_watermark == 1, "nothing of the refused records was stored"


def test_log_append_time(broker, new_topic):
    topic = new_topic(configs={"message.timestamp.type": "LogAppendTime"})
    before = int(time.time() * 1000)
    delivered = confluent_produce(broker.bootstrap, topic, make_records("lat", 5, keys=0), partition=0,
                                  timestamps=[1_000_000 + i for i in range(5)])
    after = int(time.time() * 1000)
    got = confluent_consume(broker.bootstrap, topic, [0], 5)
    for r in got + delivered:
        assert r.timestamp_type == "LogAppendTime", r
        assert before - 1000 <= r.timestamp <= after + 1000, f"{r.timestamp} not the broker's clock"
    (b,) = raw_batches(broker, topic, 0)
    assert b.timestamp_type == "LogAppendTime" and before - 1000 <= b.max_timestamp <= after + 1000


def test_create_time_is_kept(broker, new_topic):
    topic = new_topic()
    ts = int(time.time() * 1000) - 3_600_000
    confluent_produce(broker.bootstrap, topic, make_records("ct", 3, keys=0), partition=0,
                      timestamps=[ts, ts + 1, ts + 2])
    got = confluent_consume(broker.bootstrap, topic, [0], 3)
    assert [(r.timestamp_type, r.timestamp) for r in got] == [("CreateTime", ts + i) for i in range(3)]


def test_produce_to_absent_topic_creates_it_when_auto_create_is_on(broker, admin, topic_name):
    delivered = confluent_produce(broker.bootstrap, topic_name, make_records("auto", 5, keys=0))
    assert {d.partition for d in delivered} == {0}
    t = admin.list_topics(topic_name, timeout=T).topics[topic_name]
    assert t.error is None and sorted(t.partitions) == [0], "num.partitions=1"
    got = confluent_consume(broker.bootstrap, topic_name, [0], 5)
    assert [r.offset for r in got] == list(range(5))


def test_produce_to_absent_topic_with_auto_create_off(restricted_broker, topic_name):
    b = restricted_broker
    with wire.Connection(b.host, b.port) as c:
        md = wire.metadata(c, [topic_name], version=4, allow_auto_topic_creation=True)
        assert md.topics[topic_name].error_code == wire.UNKNOWN_TOPIC_OR_PARTITION
        resp = wire.produce(c, topic_name, 0, wire.encode_record_batch([(None, b"v", [])]))
        assert resp.error_code == wire.UNKNOWN_TOPIC_OR_PARTITION
        md = wire.metadata(c, [topic_name], version=4, allow_auto_topic_creation=True)
        assert md.topics[topic_name].error_code == wire.UNKNOWN_TOPIC_OR_PARTITION, "still absent"

    p = confluent_producer(b.bootstrap, **{"topic.metadata.propagation.max.ms": 2000,
                                           "message.timeout.ms": 10000})
    errors = []
    p.produce(topic_name, value=b"v", on_delivery=lambda err, msg: errors.append(err))
    assert p.flush(T) == 0
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC), errors[0]


def test_fetch_from_the_end_returns_nothing_then_new_records(broker, new_topic):
    topic = new_topic()
    confluent_produce(broker.bootstrap, topic, make_records("end", 3, keys=0), partition=0)
    c = confluent_consumer(broker.bootstrap, **{"fetch.wait.max.ms": 100})
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_END)])
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            assert c.poll(0.1) is None, "nothing should arrive from the end"
        confluent_produce(broker.bootstrap, topic, [("k", "end-00000003-new")], partition=0)
        m = wait_until(lambda: c.poll(0.5), T, interval=0, what="the new record")
        assert (m.error(), m.offset(), m.value()) == (None, 3, b"end-00000003-new")
    finally:
        c.close()
