"""Produce and consume with the Python clients, and check what came back.

Every call is bounded in time. Consumers never join a consumer group: they assign
partitions themselves (confluent-kafka insists on a group.id, so one is set, but
offsets are never committed).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]

# librdkafka's own log lines go to this logger instead of straight to stderr: pytest
# shows them in a failing test's report, and a client that outlives its broker (one
# kept alive by a failed test's traceback) cannot print after pytest's summary.
RDKAFKA_LOGGER = logging.getLogger("rdkafka")
RDKAFKA_LOGGER.addHandler(logging.NullHandler())


def confluent_admin(bootstrap, **config):
    from confluent_kafka.admin import AdminClient
    conf = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000, "logger": RDKAFKA_LOGGER}
    conf.update(config)
    return AdminClient(conf)


@dataclass(frozen=True)
class Rec:
    """A record as a test sees it. partition/offset are None where a client does
    not report them."""
    key: str | None
    value: str
    partition: int | None = None
    offset: int | None = None
    timestamp: int | None = None
    timestamp_type: str | None = None


def make_records(tag: str, n: int, keys: int = 16, pad: str = "moldau round trip "):
    """n (key, value) pairs; value = '<tag>-<8-digit seq>-<padding>' so the sequence
    number can be read back from any client's output."""
    return [(f"k{i % keys}" if keys else None, f"{tag}-{i:08d}-" + pad * (1 + i % 7)) for i in range(n)]


def seq_of(value: str) -> int:
    return int(value.split("-")[1])


def verify_roundtrip(sent, received, delivered=None, what=""):
    """sent: [(key, value)] in send order; received: [Rec] in consumption order;
    delivered: optional [Rec] with partition/offset from delivery reports.
    Checks: every record exactly once with its content; per partition, offsets and
    send order increase together; every key stays in one partition, in send order."""
    label = f"{what}: " if what else ""
    want = {v: k for k, v in sent}
    assert len(want) == len(sent), "test bug: duplicate values"
    got_values = [r.value for r in received]
    got_set = set(got_values)
    missing = [v for v in want if v not in got_set]
    dupes = len(got_values) - len(got_set)
    extra = [v for v in got_set if v not in want]
    assert not missing and not dupes and not extra, (
        f"{label}{len(received)} received for {len(sent)} sent: {len(missing)} missing "
        f"(first {missing[:3]}), {dupes} duplicated, {len(extra)} unexpected (first {extra[:3]})")
    for r in received:
        assert r.key == want[r.value], f"{label}key {r.key!r} for {r.value[:20]!r}, sent {want[r.value]!r}"

    by_partition = defaultdict(list)
    for r in received:
        by_partition[r.partition].append(r)
    for p, recs in by_partition.items():
        offsets = [r.offset for r in recs]
        if None not in offsets:
            assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets), (
                f"{label}partition {p}: offsets not strictly increasing")
            recs = sorted(recs, key=lambda r: r.offset)
        seqs = [seq_of(r.value) for r in recs]
        assert seqs == sorted(seqs), (
            f"{label}partition {p}: records out of send order: "
            f"{next((a, b) for a, b in zip(seqs, seqs[1:]) if a > b)}")

    key_partitions = defaultdict(set)
    for r in received:
        if r.key is not None:
            key_partitions[r.key].add(r.partition)
    split = {k: ps for k, ps in key_partitions.items() if len(ps) > 1}
    assert not split, f"{label}keys spread over several partitions: {dict(list(split.items())[:3])}"

    if delivered is not None:
        where = {d.value: (d.partition, d.offset) for d in delivered}
        assert len(where) == len(sent), f"{label}{len(where)} delivery reports for {len(sent)} records"
        for r in received:
            assert where[r.value] == (r.partition, r.offset), (
                f"{label}{r.value[:20]!r} delivered at {where[r.value]}, read at {(r.partition, r.offset)}")


def parse_check_output(stdout: str):
    """Parses the tab-separated lines the Java, kafkajs and Debian check programs print.
    Returns (admin, produced, consumed, done):
      admin: (status, detail) or None; produced/consumed: {codec: [Rec]};
      done: {codec: (status, detail)}."""
    admin = None
    produced, consumed, done = defaultdict(list), defaultdict(list), {}

    def num(s):
        return None if s in ("-", "") else int(s)

    for line in stdout.splitlines():
        f = line.split("\t")
        if f[0] == "ADMIN":
            admin = (f[1], f[2] if len(f) > 2 else "")
        elif f[0] == "P":
            produced[f[1]].append(Rec(f[4] or None, f[5], num(f[2]), num(f[3])))
        elif f[0] == "C":
            consumed[f[1]].append(Rec(f[4] or None, f[5], num(f[2]), num(f[3]),
                                      timestamp_type=f[6] if len(f) > 6 else None))
        elif f[0] == "DONE":
            done[f[1]] = (f[2], f[3] if len(f) > 3 else "")
    return admin, produced, consumed, done


# --------------------------------------------------------------------------- confluent-kafka

def confluent_producer(bootstrap, **config):
    from confluent_kafka import Producer
    conf = {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 30000,
        "socket.timeout.ms": 10000,
        "enable.idempotence": False,
        "logger": RDKAFKA_LOGGER,
    }
    conf.update(config)
    return Producer(conf)


def confluent_produce(bootstrap, topic, records, codec="none", timeout=60.0, partition=None,
                      timestamps=None, **config):
    """Produces (key, value) pairs in order; returns delivery reports as [Rec].
    Raises AssertionError if any record failed or the flush did not finish."""
    conf = {"compression.type": codec}
    conf.update(config)
    p = confluent_producer(bootstrap, **conf)
    delivered, errors = [], []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            ts_type, ts = msg.timestamp()
            delivered.append(Rec(msg.key().decode() if msg.key() is not None else None,
                                 msg.value().decode(), msg.partition(), msg.offset(), ts,
                                 {0: None, 1: "CreateTime", 2: "LogAppendTime"}.get(ts_type)))

    deadline = time.monotonic() + timeout
    for i, (k, v) in enumerate(records):
        kwargs = {}
        if partition is not None:
            kwargs["partition"] = partition
        if timestamps is not None:
            kwargs["timestamp"] = timestamps[i]
        while True:
            try:
                p.produce(topic, value=v.encode(), key=k.encode() if k is not None else None,
                          on_delivery=on_delivery, **kwargs)
                break
            except BufferError:
                p.poll(0.05)
                assert time.monotonic() < deadline, "producer queue stayed full"
        p.poll(0)
    left = p.flush(max(0.1, deadline - time.monotonic()))
    assert left == 0, f"{left} records still undelivered after {timeout}s"
    assert not errors, f"{len(errors)} delivery errors, first: {errors[0]}"
    return delivered


def confluent_consumer(bootstrap, **config):
    from confluent_kafka import Consumer
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": f"moldau-test-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "socket.timeout.ms": 10000,
        "session.timeout.ms": 10000,
        "logger": RDKAFKA_LOGGER,
    }
    conf.update(config)
    return Consumer(conf)


def confluent_consume(bootstrap, topic, partitions, count, timeout=60.0, start=None, **config):
    """Assigns `partitions` (ints) from `start` (default: the beginning) and reads until
    `count` records arrived or `timeout` passed. Returns [Rec]; raises on a record error."""
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition
    c = confluent_consumer(bootstrap, **config)
    out = []
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING if start is None else start)
                  for p in partitions])
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for m in c.consume(min(1000, count - len(out)), 0.2):
                if m.error():
                    raise AssertionError(f"consume error: {m.error()}")
                ts_type, ts = m.timestamp()
                out.append(Rec(m.key().decode() if m.key() is not None else None, m.value().decode(),
                               m.partition(), m.offset(), ts,
                               {0: None, 1: "CreateTime", 2: "LogAppendTime"}.get(ts_type)))
    finally:
        c.close()
    return out


# --------------------------------------------------------------------------- kafka-python

def kp_produce(bootstrap, topic, records, codec="none", timeout=60.0, **config):
    from kafka import KafkaProducer
    conf = dict(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                compression_type=None if codec == "none" else codec,
                request_timeout_ms=15000, max_block_ms=15000, enable_idempotence=False,
                max_in_flight_requests_per_connection=1)
    conf.update(config)
    p = KafkaProducer(**conf)
    try:
        futures = [p.send(topic, key=k.encode() if k is not None else None, value=v.encode())
                   for k, v in records]
        p.flush(timeout=timeout)
        out = []
        for (k, v), f in zip(records, futures):
            md = f.get(timeout=1)
            out.append(Rec(k, v, md.partition, md.offset, md.timestamp))
        return out
    finally:
        p.close(timeout=5)


def kp_consume(bootstrap, topic, partitions, count, timeout=60.0, **config):
    from kafka import KafkaConsumer, TopicPartition
    conf = dict(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                auto_offset_reset="earliest", request_timeout_ms=15000,
                consumer_timeout_ms=int(timeout * 1000))
    conf.update(config)
    c = KafkaConsumer(**conf)
    out = []
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for tp, msgs in c.poll(timeout_ms=200, max_records=2000).items():
                for m in msgs:
                    out.append(Rec(m.key.decode() if m.key is not None else None, m.value.decode(),
                                   m.partition, m.offset, m.timestamp,
                                   {0: "CreateTime", 1: "LogAppendTime"}.get(m.timestamp_type)))
    finally:
        c.close()
    return out
