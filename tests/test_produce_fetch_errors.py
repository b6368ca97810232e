"""Error paths of Produce and Fetch over a raw socket (issue 4), each checked against
Apache Kafka too:
  - a client that closes while a large fetch response is being written costs only its
    own connection (the broker ignores SIGPIPE; sendfile cannot ask for MSG_NOSIGNAL);
  - Produce v3+ whose partition data holds two record batches: INVALID_RECORD, nothing
    appended;
  - a zstd batch in Produce v6 (zstd needs v7, KIP-110): UNSUPPORTED_COMPRESSION_TYPE.
"""

import os
import socket
import struct

import pytest
import zstandard

from harness import wire

pytestmark = pytest.mark.produce_fetch

UNSUPPORTED_COMPRESSION_TYPE = 76
INVALID_RECORD = 87

# Batch header bytes before the records: baseOffset 8, batchLength 4, leaderEpoch 4,
# magic 1, crc 4, attributes 2, lastOffsetDelta 4, baseTimestamp 8, maxTimestamp 8,
# producerId 8, producerEpoch 2, baseSequence 4, recordCount 4.
BATCH_HEADER = 61


def connect(broker, timeout=15):
    return wire.Connection(broker.host, broker.port, timeout=timeout)


def zstd_batch(records) -> bytes:
    """A magic-2 batch of `records` ((key, value, headers)) with zstd-compressed records."""
    plain = wire.encode_record_batch(records)
    head, body = plain[:BATCH_HEADER], plain[BATCH_HEADER:]
    packed = zstandard.ZstdCompressor().compress(body)
    # Everything the CRC covers: attributes onwards.
    after_crc = bytearray(head[21:]) + packed
    struct.pack_into(">h", after_crc, 0, 4)  # attributes: zstd
    batch_length = 4 + 1 + 4 + len(after_crc)
    return (struct.pack(">qiib", 0, batch_length, -1, 2) + struct.pack(">I", wire.crc32c(bytes(after_crc)))
            + bytes(after_crc))


def high_watermark(broker, topic, partition=0):
    with connect(broker) as c:
        f = wire.fetch(c, topic, partition, 0)
    assert f.error_code == 0, f"fetch error {f.error_code}"
    return f.high_watermark


# --------------------------------------------------------------------------- Produce

@pytest.mark.parametrize("version", [3, 8])
def test_two_batches_in_one_partition_are_refused(broker, new_topic, version):
    topic = new_topic()
    one = wire.encode_record_batch([(b"k1", b"first", [])])
    two = wire.encode_record_batch([(b"k2", b"second", [])])
    with connect(broker) as c:
        p = wire.produce(c, topic, 0, one + two, version=version)
        assert p.error_code == INVALID_RECORD, f"Produce v{version} with two batches: error {p.error_code}"
        # The connection stays usable, and a single batch is still accepted.
        p = wire.produce(c, topic, 0, one, version=version)
        assert (p.error_code, p.base_offset) == (0, 0), p
    assert high_watermark(broker, topic) == 1, "nothing of the refused request was appended"


def test_zstd_in_produce_v6_is_unsupported_compression_type(broker, new_topic):
    topic = new_topic()
    batch = zstd_batch([(b"k", b"zstd before v7", []), (None, b"second", [])])
    with connect(broker) as c:
        p = wire.produce(c, topic, 0, batch, version=6)
        assert p.error_code == UNSUPPORTED_COMPRESSION_TYPE, f"zstd in Produce v6: error {p.error_code}"
        assert high_watermark(broker, topic) == 0, "the refused batch was appended"
        # The same batch is fine at v7, where zstd is allowed: the batch itself is valid.
        p = wire.produce(c, topic, 0, batch, version=7)
        assert (p.error_code, p.base_offset) == (0, 0), p
    with connect(broker) as c:
        f = wire.fetch(c, topic, 0, 0)
    assert f.high_watermark == 2
    (b,) = wire.decode_record_batches(f.records or b"")
    assert (b.compression, b.record_count, b.crc_ok) == ("zstd", 2, True)


# --------------------------------------------------------------------------- Fetch

def fill_partition(broker, topic, total_bytes):
    """Appends about `total_bytes` of incompressible values in 512 kB batches."""
    block = 512 * 1024
    with connect(broker) as c:
        n = 0
        while n < total_bytes:
            rec = [(None, os.urandom(block // 8), []) for _ in range(8)]
            p = wire.produce(c, topic, 0, wire.encode_record_batch(rec))
            assert p.error_code == 0, f"fill: error {p.error_code}"
            n += block
    return high_watermark(broker, topic)


def big_fetch(topic, correlation_id):
    body = wire.fetch_body(topic, 0, 0, max_bytes=48 << 20, partition_max_bytes=48 << 20)
    return wire.request(wire.API_FETCH, 4, correlation_id, body)


@pytest.mark.timeout(180)
def test_client_closing_during_a_large_fetch_response_costs_only_its_connection(broker, new_topic):
    """A fetch response of several MB is being written (sendfile on Moldau) when the
    client goes away: half of the clients close without reading, half read the first
    bytes and then close with the rest unread (the kernel answers the broker's next
    write with a reset). Each must cost only that connection: a connection opened
    before stays served, and the broker keeps serving new ones."""
    topic = new_topic(configs={"max.message.bytes": str(2 << 20)})
    hw = fill_partition(broker, topic, 8 << 20)
    assert hw > 0

    with connect(broker) as bystander:
        assert wire.api_versions(bystander, 0).error_code == 0
        for i in range(24):
            s = socket.create_connection((broker.host, broker.port), timeout=10)
            try:
                s.sendall(big_fetch(topic, 100 + i))
                if i % 2:
                    # Read the start of the answer, so the broker is mid-write, then
                    # close with the rest unread: the close sends a reset.
                    head = s.recv(4096)
                    assert head, "the broker closed instead of answering a valid fetch"
            finally:
                s.close()
            if i % 6 == 5:
                f = wire.fetch(bystander, topic, 0, hw - 1)
                assert (f.error_code, f.high_watermark) == (0, hw), f"bystander after {i + 1} closes"

        # The whole answer still arrives for a client that reads it.
        with connect(broker, timeout=30) as c:
            c.send(big_fetch(topic, 7))
            r = wire.Reader(c.recv_frame())
            assert r.int32() == 7
        f = wire.fetch(bystander, topic, 0, 0, max_bytes=1 << 20, partition_max_bytes=1 << 20)
        assert f.error_code == 0 and wire.decode_record_batches(f.records or b""), "bystander fetch"
    with connect(broker) as c:
        assert wire.api_versions(c, 0).error_code == 0
    assert broker.running(), "the broker process died"
