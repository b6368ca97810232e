"""Issue 3's acceptance ("Checked by"), with real clients against a broker of our own:

- 200,000 records into 1 MiB segments give Kafka-named .log/.index/.timeindex files;
  after SIGKILL and 777 bytes of garbage appended to the active segment the broker
  restarts, every record reads back at its offset, and a new produce gets offset 200000;
- Kafka's kafka-dump-log prints a segment's batches with the right offsets, valid CRCs
  and the records' payloads, and accepts the offset index (--verify-index-only,
  --index-sanity-check);
- a topic with retention.ms=2000 has its log start offset advanced within 30 s.
"""

from __future__ import annotations

import random
import re
import struct
import time
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import OffsetSpec

from conftest import create_topic
from harness.clients import confluent_admin, confluent_produce
from harness.util import kafka_tool, unique_topic, wait_until

pytestmark = [pytest.mark.storage, pytest.mark.acceptance, pytest.mark.slow]

T = 30
MIB = 1048576
SEGMENT_NAME = re.compile(r"^(\d{20})\.log$")


def segments(partition_dir: Path) -> list[Path]:
    """The partition's .log segments, by base offset."""
    logs = [p for p in partition_dir.iterdir() if SEGMENT_NAME.match(p.name)]
    return sorted(logs, key=lambda p: int(p.name[:20]))


def batch_headers(path: Path):
    """(base offset, last offset, position) of each record batch in a segment file,
    read from the batch headers (baseOffset i64, length i32, ..., lastOffsetDelta i32
    at byte 23), stopping at a torn tail."""
    data = path.read_bytes()
    out, pos = [], 0
    while pos + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        if length < 49 or pos + 12 + length > len(data):
            break
        (delta,) = struct.unpack_from(">i", data, pos + 23)
        out.append((base, base + delta, pos))
        pos += 12 + length
    return out


def value_for(i: int) -> str:
    return f"r-{i:08d}-" + "x" * (i % 13)


def watermarks(bootstrap, topic, partition=0):
    """(earliest, latest) by ListOffsets through confluent-kafka's admin client. (Not a
    consumer's get_watermark_offsets: confluent-kafka's consumer insists on a group.id
    and then looks up a group coordinator; these tests stay clear of consumer groups.)"""
    a = confluent_admin(bootstrap)
    tp = TopicPartition(topic, partition)
    out = []
    for spec in (OffsetSpec.earliest(), OffsetSpec.latest()):
        res = a.list_offsets({tp: spec}, request_timeout=10)
        out.append(res[tp].result(15).offset)
    return tuple(out)


def read_back(bootstrap, topic, count, timeout=90, start=None):
    """Up to `count` records of partition 0 from `start` (default: the log start), read
    with kafka-python without a group (group_id=None): [(offset, value)]."""
    from kafka import KafkaConsumer
    from kafka import TopicPartition as KTP
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                      auto_offset_reset="earliest", request_timeout_ms=15000,
                      max_partition_fetch_bytes=4 * MIB, fetch_max_bytes=16 * MIB)
    out = []
    try:
        tp = KTP(topic, 0)
        c.assign([tp])
        if start is None:
            c.seek_to_beginning(tp)
        else:
            c.seek(tp, start)
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for msgs in c.poll(timeout_ms=200, max_records=5000).values():
                out.extend((m.offset, m.value.decode()) for m in msgs)
    finally:
        c.close()
    return out


def test_200k_records_survive_sigkill_and_a_garbage_tail(broker_factory, broker_kind, request):
    n = 200_000
    b = broker_factory.new("crash")
    topic = create_topic(confluent_admin(b.bootstrap), unique_topic("storage-crash"), 1,
                         {"segment.bytes": str(MIB)}, broker=b)

    sent = [(None, value_for(i)) for i in range(n)]
    delivered = confluent_produce(b.bootstrap, topic, sent, codec="none", timeout=90, partition=0,
                                  **{"linger.ms": 20, "batch.num.messages": 5000})
    assert [d.offset for d in delivered] == list(range(n)), "delivery offsets are not 0..199999 in order"
    assert watermarks(b.bootstrap, topic) == (0, n)

    pdir = b.data_dir / f"{topic}-0"
    logs = segments(pdir)
    names = sorted(p.name for p in pdir.iterdir())
    assert len(logs) >= 3, f"expected several 1 MiB segments for ~{n * 30 // MIB} MiB, got {names}"
    assert int(logs[0].name[:20]) == 0, names
    for seg in logs:
        stem = seg.name[:20]
        for ext in (".index", ".timeindex"):
            assert (pdir / (stem + ext)).is_file(), f"{stem}{ext} missing beside {seg.name}: {names}"
        if seg is not logs[-1]:
            assert seg.stat().st_size <= MIB, f"{seg.name} is {seg.stat().st_size} bytes, above segment.bytes"
    # Each segment's name is the base offset of its first batch; the segments chain.
    expected = 0
    for seg in logs:
        hdrs = batch_headers(seg)
        assert hdrs, f"{seg.name}: no batches"
        assert hdrs[0][0] == int(seg.name[:20]) == expected, f"{seg.name} starts at {hdrs[0][0]}, expected {expected}"
        for (_, last, _), (nbase, _, _) in zip(hdrs, hdrs[1:]):
            assert nbase == last + 1, f"{seg.name}: batch at {nbase} follows one ending at {last}"
        expected = hdrs[-1][1] + 1
    assert expected == n

    # Crash, then a torn/corrupt tail on the active segment.
    b.kill()
    active = logs[-1]
    size_before = active.stat().st_size
    garbage = random.Random(777).randbytes(777)
    with open(active, "ab") as f:
        f.write(garbage)
    assert active.stat().st_size == size_before + 777

    b.start()
    seen = []

    def recovered():
        seen.append(watermarks(b.bootstrap, topic))
        return seen[-1] == (0, n)
    try:
        wait_until(recovered, T, interval=0.5, what=f"watermarks (0, {n}) after the restart")
    except AssertionError as e:
        raise AssertionError(f"{e}; ListOffsets (earliest, latest) answers: {sorted(set(seen))}") from None
    assert active.stat().st_size == size_before, (
        f"{active.name}: {active.stat().st_size} bytes after recovery, {size_before} before the garbage")

    got = read_back(b.bootstrap, topic, n, timeout=90)
    assert len(got) == n, f"read back {len(got)} of {n} records"
    bad = [(o, v) for i, (o, v) in enumerate(got) if o != i or v != value_for(i)]
    assert not bad, f"{len(bad)} records wrong after recovery, first: {bad[:3]}"

    more = confluent_produce(b.bootstrap, topic, [(None, "after-crash-0"), (None, "after-crash-1")],
                             timeout=T, partition=0)
    assert [d.offset for d in more] == [n, n + 1]
    tail = read_back(b.bootstrap, topic, 2, timeout=T, start=n)
    assert tail == [(n, "after-crash-0"), (n + 1, "after-crash-1")]


def dump_log(*args, timeout=120):
    r = kafka_tool("kafka-dump-log", *args, timeout=timeout)
    r.check("kafka-dump-log")
    return r


def test_kafka_dump_log_reads_moldau_segments(broker_factory):
    b = broker_factory.new("dump")
    topic = create_topic(confluent_admin(b.bootstrap), unique_topic("storage-dump"), 1,
                         {"segment.bytes": str(MIB)}, broker=b)
    # ~1.3 MiB uncompressed (rolls once), then lz4 batches into the active segment.
    n_plain, n_lz4 = 12_000, 3_000
    pad = "p" * 80
    plain = [(f"k{i % 7}", f"d-{i:08d}-{pad}") for i in range(n_plain)]
    lz4 = [(f"k{i % 7}", f"d-{i:08d}-lz4") for i in range(n_plain, n_plain + n_lz4)]
    # Batches of at most 16 KiB, so that each segment holds many and its index has entries.
    small = {"batch.size": 16384}
    confluent_produce(b.bootstrap, topic, plain, codec="none", timeout=60, partition=0, **small)
    confluent_produce(b.bootstrap, topic, lz4, codec="lz4", timeout=60, partition=0, **small)
    value_at = {i: v for i, (_, v) in enumerate(plain + lz4)}
    total = n_plain + n_lz4
    b.stop()  # a clean stop: indexes trimmed, files closed

    pdir = b.data_dir / f"{topic}-0"
    logs = segments(pdir)
    assert len(logs) >= 2, f"expected a rolled segment: {sorted(p.name for p in pdir.iterdir())}"

    batch_re = re.compile(r"^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) .*?"
                          r"compresscodec: (\w+) .*?isvalid: (\w+)", re.I)
    record_re = re.compile(r"^\| offset: (\d+) .*?payload: (.*)$")
    seen_records = {}
    next_offset = 0
    codecs = set()
    for seg in logs:
        out = dump_log("--files", seg, "--deep-iteration", "--print-data-log").stdout
        batches = [m for m in map(batch_re.match, out.splitlines()) if m]
        assert batches, f"kafka-dump-log printed no batches for {seg.name}:\n{out[:3000]}"
        assert not re.search(r"corrupt|invalid|exception|error", out, re.I), (
            f"kafka-dump-log reports a problem in {seg.name}:\n"
            + "\n".join(l for l in out.splitlines() if re.search(r"corrupt|invalid|exception|error", l, re.I))[:3000])
        # Batches as kafka-dump-log sees them == batches as the file's headers say.
        mine = [(base, last) for base, last, _ in batch_headers(seg)]
        theirs = [(int(m.group(1)), int(m.group(2))) for m in batches]
        assert theirs == mine, f"{seg.name}: kafka-dump-log's batches differ from the file's headers"
        assert theirs[0][0] == int(seg.name[:20]) == next_offset
        for m in batches:
            base, last, count = int(m.group(1)), int(m.group(2)), int(m.group(3))
            assert base == next_offset, f"{seg.name}: batch at {base}, expected {next_offset}"
            assert count == last - base + 1
            assert m.group(5).lower() == "true", f"{seg.name}: batch at {base} is not valid: {m.group(0)}"
            codecs.add(m.group(4).lower())
            next_offset = last + 1
        for m in map(record_re.match, out.splitlines()):
            if m:
                seen_records[int(m.group(1))] = m.group(2)
        # The offset index: every entry points at the batch it names, and is sane.
        assert len(batches) > 2, f"{seg.name}: only {len(batches)} batches, the index check would be vacuous"
        index = seg.with_suffix(".index")
        v = dump_log("--files", index, "--verify-index-only").stdout
        assert not re.search(r"mismatch|corrupt|exception|error", v, re.I), f"{index.name}:\n{v[:3000]}"
        s = dump_log("--files", index, "--index-sanity-check").stdout
        assert "passed sanity check" in s.lower(), f"{index.name}:\n{s[:3000]}"
        assert not re.search(r"corrupt|exception|error", s, re.I), f"{index.name}:\n{s[:3000]}"
        t = dump_log("--files", seg.with_suffix(".timeindex"), "--index-sanity-check").stdout
        assert "passed sanity check" in t.lower(), f"{seg.name[:20]}.timeindex:\n{t[:3000]}"
    assert next_offset == total
    assert {"none", "lz4"} <= codecs, codecs
    assert sorted(seen_records) == list(range(total)), f"{len(seen_records)} records printed of {total}"
    wrong = [(o, p) for o, p in seen_records.items() if p != value_at[o]]
    assert not wrong, f"payloads differ, first: {wrong[:3]}"


def test_retention_ms_advances_the_log_start_offset(broker_factory):
    b = broker_factory.new("retention", {"log.retention.check.interval.ms": 1000})
    topic = create_topic(confluent_admin(b.bootstrap), unique_topic("storage-retention"), 1,
                         {"retention.ms": "2000", "segment.ms": "500"}, broker=b)
    t0 = time.monotonic()
    produced = 0

    def produce(k):
        nonlocal produced
        recs = [(None, f"ret-{produced + i:08d}") for i in range(k)]
        d = confluent_produce(b.bootstrap, topic, recs, timeout=T, partition=0)
        assert [x.offset for x in d] == list(range(produced, produced + k))
        produced += k

    produce(100)
    first_dir = b.data_dir / f"{topic}-0"
    assert (first_dir / ("0" * 20 + ".log")).is_file()
    # Keep appending now and then (Kafka rolls on segment.ms only when an append comes),
    # until the earliest offset moves.
    start = None
    deadline = t0 + 30
    while time.monotonic() < deadline:
        time.sleep(0.7)
        produce(10)
        low, high = watermarks(b.bootstrap, topic)
        assert high == produced
        if low > 0:
            start = low
            break
    assert start is not None, (f"log start offset still 0 after {time.monotonic() - t0:.1f}s; "
                               f"files: {sorted(p.name for p in first_dir.iterdir())}")
    assert start <= produced
    # The first segment is gone from the live set (renamed .deleted or removed).
    assert not (first_dir / ("0" * 20 + ".log")).is_file(), sorted(p.name for p in first_dir.iterdir())
    # Reading from the beginning starts at the new log start offset.
    produce(1)
    got = read_back(b.bootstrap, topic, 1, timeout=T)
    assert got and got[0][0] >= start and got[0][1] == f"ret-{got[0][0]:08d}", got[:1]
