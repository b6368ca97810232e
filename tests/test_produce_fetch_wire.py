"""Produce and Fetch over a raw socket with hand-built record batches (issue 4): the
advertised versions, refusal of Produce v0-2, offset assignment, CRC validation,
acks=0, max_bytes (KIP-74) and long polls."""

import struct
import threading
import time

import pytest

from harness import wire

pytestmark = pytest.mark.produce_fetch


def connect(broker):
    return wire.Connection(broker.host, broker.port, timeout=15)


def fetch_all(c, topic, partition, offset):
    """Batches from `offset` to the high watermark, over as many fetches as it takes
    (a fetch may stop at a segment boundary)."""
    batches = []
    for _ in range(100):
        f = wire.fetch(c, topic, partition, offset)
        assert f.error_code == 0, f"fetch error {f.error_code}"
        got = wire.decode_record_batches(f.records or b"")
        batches += got
        if got:
            offset = got[-1].base_offset + got[-1].last_offset_delta + 1
        if offset >= f.high_watermark:
            return batches
        assert got, f"no progress at offset {offset}, high watermark {f.high_watermark}"
    raise AssertionError("fetch_all did not reach the high watermark")


# (key, lowest and highest version that must be served): issue 4 and CLIENTS.md.
PRODUCE_FETCH_VERSIONS = {
    0: (0, 11),   # Produce: advertise min 0 (librdkafka 2.0.2 turns compression off otherwise), serve 3-11
    1: (4, 13),   # Fetch
    2: (1, 7),    # ListOffsets
}


def test_api_versions_for_produce_fetch_and_list_offsets(broker):
    with connect(broker) as c:
        av = wire.api_versions(c, 0)
    for key, (lo, hi) in PRODUCE_FETCH_VERSIONS.items():
        bmin, bmax = av.api_keys[key]
        assert bmin <= lo and bmax >= hi, f"API key {key}: advertised {bmin}-{bmax}, need {lo}-{hi}"
    assert av.api_keys[0][0] == 0, "Produce must advertise min version 0 (CLIENTS.md)"


@pytest.mark.parametrize("version", [0, 1, 2])
def test_produce_v0_to_v2_is_refused(broker, new_topic, version):
    topic = new_topic()
    batch = wire.encode_record_batch([(None, b"old", [])])
    body = (wire.Writer().int16(1).int32(5000)
            .array([topic], lambda w, t: w.string(t).array([0], lambda ww, p: ww.int32(p).bytes_(batch)))
            .getvalue())
    with connect(broker) as c:
        c.send(wire.request(wire.API_PRODUCE, version, 42, body))
        got, closed = c.read_until_closed(5)
        if got:
            size = struct.unpack(">i", got[:4])[0]
            r = wire.Reader(got[4:4 + size])
            assert r.int32() == 42
            (p,) = wire.decode_produce(r, version).values()
            assert p.error_code == wire.UNSUPPORTED_VERSION, f"Produce v{version}: error {p.error_code}"
        else:
            assert closed, f"Produce v{version}: neither answered nor closed"
    with connect(broker) as c:
        assert wire.fetch(c, topic, 0, 0).high_watermark == 0, "nothing was appended"


@pytest.mark.parametrize("version", [3, 8])
def test_raw_produce_and_fetch_round_trip(broker, new_topic, version):
    topic = new_topic()
    first = [(b"k1", b"v1", []), (None, b"v2", [("h1", b"x"), ("h2", None)]), (b"k3", None, [])]
    second = [(b"k4", b"v4" * 100, [])]
    ts = int(time.time() * 1000) - 3_600_000
    with connect(broker) as c:
        r1 = wire.produce(c, topic, 0, wire.encode_record_batch(first, timestamp_ms=ts), version=version)
        r2 = wire.produce(c, topic, 0, wire.encode_record_batch(second), version=version)
        assert (r1.error_code, r1.base_offset, r1.log_append_time) == (0, 0, -1)
        assert (r2.error_code, r2.base_offset) == (0, 3)
        if version >= 5:
            assert r2.log_start_offset == 0
        f = wire.fetch(c, topic, 0, 0)
        assert f.error_code == 0 and f.high_watermark == 4 and f.last_stable_offset == 4
        batches = fetch_all(c, topic, 0, 0)
    assert [b.base_offset for b in batches] == [0, 3]
    assert all(b.crc_ok and b.magic == 2 and b.compression == "none" for b in batches)
    recs = [r for b in batches for r in b.records]
    assert [(r.offset, r.key, r.value, r.headers) for r in recs] == \
        [(i, k, v, h) for i, (k, v, h) in enumerate(first + second)]
    assert recs[0].timestamp == ts
    with connect(broker) as c:
        f = wire.fetch(c, topic, 0, 3)
    assert [r.offset for b in wire.decode_record_batches(f.records) for r in b.records if r.offset >= 3] == [3]


def test_corrupt_batch_is_refused(broker, new_topic):
    topic = new_topic()
    batch = bytearray(wire.encode_record_batch([(b"k", b"value", [])]))
    batch[-3] ^= 0xFF  # inside the record: the CRC no longer matches
    with connect(broker) as c:
        resp = wire.produce(c, topic, 0, bytes(batch))
        assert resp.error_code == wire.CORRUPT_MESSAGE
        assert wire.fetch(c, topic, 0, 0).high_watermark == 0


def test_acks_0_gets_no_response(broker, new_topic):
    topic = new_topic()
    with connect(broker) as c:
        c.send(wire.request(wire.API_PRODUCE, 8, 500,
                            wire.produce_body(topic, 0, wire.encode_record_batch([(None, b"a0", [])]), acks=0)))
        # The next response on this connection answers the next request.
        r = c.call(wire.API_API_VERSIONS, 0, b"")
        assert wire.decode_api_versions(r, 0).error_code == 0

        def appended():
            return wire.fetch(c, topic, 0, 0).high_watermark == 1
        deadline = time.monotonic() + 10
        while not appended():
            assert time.monotonic() < deadline, "the acks=0 record was never appended"
            time.sleep(0.1)


def test_fetch_max_bytes_returns_at_least_one_batch(broker, new_topic):
    topic = new_topic()
    with connect(broker) as c:
        for i in range(5):
            assert wire.produce(c, topic, 0, wire.encode_record_batch(
                [(None, bytes([65 + i]) * 10_000, [])])).error_code == 0
        whole = fetch_all(c, topic, 0, 0)
        assert len(whole) == 5
        size = 12 + whole[0].length
        f = wire.fetch(c, topic, 0, 0, partition_max_bytes=15_000)
        assert len(f.records) <= 15_000 and len(wire.decode_record_batches(f.records)) == 1
        f = wire.fetch(c, topic, 0, 0, partition_max_bytes=100, max_bytes=100)
        assert len(wire.decode_record_batches(f.records)) == 1, "KIP-74: the first batch even if larger"
        assert len(f.records) <= size


def test_fetch_waits_for_max_wait_then_wakes_on_append(broker, new_topic):
    topic = new_topic()
    with connect(broker) as c:
        t0 = time.monotonic()
        f = wire.fetch(c, topic, 0, 0, max_wait_ms=500, min_bytes=1)
        waited = time.monotonic() - t0
        assert not f.records and 0.3 <= waited < 3, f"an empty fetch returned after {waited:.2f}s (max_wait 500 ms)"

    result = {}

    def long_poll():
        with connect(broker) as c:
            t = time.monotonic()
            result["fetch"] = wire.fetch(c, topic, 0, 0, max_wait_ms=5000, min_bytes=1)
            result["done"] = time.monotonic()
            result["started"] = t
    th = threading.Thread(target=long_poll)
    th.start()
    time.sleep(1.0)
    with connect(broker) as c:
        t_produce = time.monotonic()
        assert wire.produce(c, topic, 0, wire.encode_record_batch([(None, b"wake", [])]), acks=1).error_code == 0
    th.join(10)
    assert "fetch" in result, "the long poll never returned"
    assert result["done"] - t_produce < 1.0, f"woken {result['done'] - t_produce:.2f}s after the append"
    (b,) = wire.decode_record_batches(result["fetch"].records)
    assert b.records[0].value == b"wake"


def test_large_multi_partition_produce_answers_each_partition(broker, new_topic):
    """One request large enough for Moldau to append its partitions in parallel
    (docs/architecture.md, "Threads"): every partition gets its own answer and its own
    offsets, a corrupt batch fails only its partition, and every record reads back."""
    topic = new_topic(partitions=6)
    bad = 2
    value = bytes(range(256)) * 4  # 1 KiB

    def batch_for(p, round_):
        records = [(f"k{p}-{round_}-{i}".encode(), value, []) for i in range(30)]  # ~31 KiB
        b = bytearray(wire.encode_record_batch(records))
        if p == bad:
            b[-5] ^= 0xFF  # inside the last record: the CRC no longer matches
        return bytes(b)

    with connect(broker) as c:
        for round_ in range(3):
            body = (wire.Writer().string(None).int16(-1).int32(10000)
                    .array([topic], lambda w, t: w.string(t).array(
                        list(range(6)), lambda ww, p: ww.int32(p).bytes_(batch_for(p, round_))))
                    .getvalue())
            resp = wire.decode_produce(c.call(wire.API_PRODUCE, 8, body), 8)
            assert sorted(p for (_, p) in resp) == list(range(6))
            for p in range(6):
                r = resp[(topic, p)]
                if p == bad:
                    assert r.error_code == wire.CORRUPT_MESSAGE, f"partition {p}: {r}"
                else:
                    assert (r.error_code, r.base_offset) == (0, 30 * round_), f"partition {p}: {r}"
        for p in range(6):
            batches = fetch_all(c, topic, p, 0)
            if p == bad:
                assert batches == []
                continue
            recs = [r for b in batches for r in b.records]
            assert [r.offset for r in recs] == list(range(90))
            assert [r.key for r in recs] == [f"k{p}-{n // 30}-{n % 30}".encode() for n in range(90)]
            assert all(r.value == value for r in recs)


def test_large_produce_naming_a_partition_twice(broker, new_topic):
    """A request large enough to be appended in parallel that names partition 0
    twice: one Log must not be appended from two threads at once (Moldau then runs
    the request on its event loop alone). Whatever the broker answers for each entry
    (Kafka keeps one of the two), every entry answered without error is in the log at
    the offset it was given, and nothing else is."""
    topic = new_topic(partitions=2)
    value = bytes(range(256)) * 4

    def batch(tag):
        return wire.encode_record_batch([(f"{tag}-{i}".encode(), value, []) for i in range(30)])

    entries = [(0, "first"), (1, "other"), (0, "second")]
    body = (wire.Writer().string(None).int16(-1).int32(10000)
            .array([topic], lambda w, t: w.string(t).array(
                entries, lambda ww, e: ww.int32(e[0]).bytes_(batch(e[1]))))
            .getvalue())
    with connect(broker) as c:
        r = c.call(wire.API_PRODUCE, 8, body)
        answers = []

        def part(rr):
            idx, err, base = rr.int32(), rr.int16(), rr.int64()
            rr.int64(), rr.int64()  # log append time, log start offset
            rr.array(lambda x: (x.int32(), x.string()))
            rr.string()
            answers.append((idx, err, base))
        r.array(lambda rr: (rr.string(), rr.array(part)))
        ok = [(idx, base) for idx, err, base in answers if err == 0]
        assert ok, f"no entry was appended: {answers}"
        for p in (0, 1):
            recs = [rec for b in fetch_all(c, topic, p, 0) for rec in b.records]
            by_offset = {rec.offset: rec.key for rec in recs}
            expected = {}
            for idx, base in ok:
                if idx != p:
                    continue
                # Which batch went to this base offset: its keys say.
                tag = by_offset[base].decode().rsplit("-", 1)[0]
                expected.update({base + i: f"{tag}-{i}".encode() for i in range(30)})
            assert by_offset == expected, f"partition {p}: answers {answers}"
