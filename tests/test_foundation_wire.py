"""Raw-socket tests of framing and request handling (issue 2, "Network server").

Hand-encoded frames over a plain socket. For each bad input the broker must give the
documented answer, and a second connection must still be served afterwards:
  - frame size above socket.request.max.bytes, or below 0: the connection is closed
    (before anything is allocated);
  - a truncated or unparsable request: the connection is closed, or an error answered;
  - an unknown API key: the connection is closed;
  - ApiVersions at an unsupported version: error 35 with the supported ranges (at least
    ApiVersions' own, KIP-511), and the connection stays open.
"""

import socket
import struct

import pytest

from harness import wire
from harness.wire import Writer

pytestmark = pytest.mark.foundation

CLOSE_TIMEOUT = 10.0


def connect(broker) -> wire.Connection:
    return wire.Connection(broker.host, broker.port, timeout=10)


def assert_still_serving(broker):
    """A fresh connection gets ApiVersions and Metadata answered."""
    with connect(broker) as c:
        av = wire.api_versions(c, 0)
        assert av.error_code == 0
        md = wire.metadata(c, [], version=1)
        assert broker.node_id in md.brokers


def assert_closed(conn, what):
    got, closed = conn.read_until_closed(CLOSE_TIMEOUT)
    assert closed, f"{what}: the broker kept the connection open for {CLOSE_TIMEOUT}s (sent {len(got)} bytes)"
    assert got == b"", f"{what}: expected the connection closed without an answer, got {got[:64]!r}"


def assert_closed_or_error(conn, what, correlation_id, decode_error, errors):
    """Either the connection is closed without an answer, or a response with that
    correlation id carries one of `errors` (decode_error(Reader) -> error code); after
    an error answer the broker may keep or close the connection."""
    got, closed = conn.read_until_closed(3.0)
    if closed and got == b"":
        return
    while len(got) < 4 or len(got) < 4 + struct.unpack(">i", got[:4])[0]:
        more, closed = conn.read_until_closed(CLOSE_TIMEOUT)
        assert more or not closed, f"{what}: neither closed nor answered in {CLOSE_TIMEOUT}s"
        assert more, f"{what}: truncated answer {got[:64]!r} then close"
        got += more
    size = struct.unpack(">i", got[:4])[0]
    r = wire.Reader(got[4:4 + size])
    assert r.int32() == correlation_id, f"{what}: answer with a foreign correlation id"
    err = decode_error(r)
    assert err in errors, f"{what}: answered with error {err}, expected one of {errors} or a close"


# --------------------------------------------------------------------------- ApiVersions

# (api key, lowest and highest version that must be inside the advertised range):
# what the clients of CLIENTS.md and issue 2 need for topic administration.
FOUNDATION_VERSIONS = {
    18: (0, 3),   # ApiVersions: librdkafka sends 3, kafka-python 0
    3: (0, 12),   # Metadata
    19: (2, 5),   # CreateTopics (Java 2+, librdkafka <=4, kafka-python <=3)
    20: (1, 4),   # DeleteTopics
    32: (1, 2),   # DescribeConfigs
    33: (0, 1),   # AlterConfigs
    37: (0, 1),   # CreatePartitions
    44: (0, 1),   # IncrementalAlterConfigs
    60: (0, 0),   # DescribeCluster
}


def test_api_versions_v0_advertises_the_foundation_apis(broker):
    with connect(broker) as c:
        av = wire.api_versions(c, 0)
    assert av.error_code == 0
    for key, (lo, hi) in FOUNDATION_VERSIONS.items():
        assert key in av.api_keys, f"API key {key} not advertised"
        bmin, bmax = av.api_keys[key]
        assert bmin <= lo and bmax >= hi, f"API key {key}: advertised {bmin}-{bmax}, need {lo}-{hi}"


def test_api_versions_v3_flexible_request(broker):
    with connect(broker) as c:
        v0 = wire.api_versions(c, 0)
        v3 = wire.api_versions(c, 3)
    assert v3.error_code == 0
    assert v3.api_keys == v0.api_keys


def test_api_versions_unsupported_version_answers_error_35_and_keeps_connection(broker):
    with connect(broker) as c:
        r = c.call(wire.API_API_VERSIONS, 99, wire.api_versions_body(3), header_version=2)
        av = wire.decode_api_versions(r, 0)  # an error answer is always encoded as v0
        assert av.error_code == wire.UNSUPPORTED_VERSION
        assert wire.API_API_VERSIONS in av.api_keys, "KIP-511: the error response lists ApiVersions' range"
        lo, hi = av.api_keys[wire.API_API_VERSIONS]
        assert lo == 0 and hi >= 3
        # The same connection is still open and served.
        again = wire.api_versions(c, 0)
        assert again.error_code == 0
        assert wire.metadata(c, [], 1).brokers
    assert_still_serving(broker)


def test_pipelined_requests_are_answered_in_order(broker):
    calls = [(wire.API_API_VERSIONS, 0, b"", 1), (wire.API_METADATA, 1, wire.metadata_body(1, []), 1),
             (wire.API_API_VERSIONS, 3, wire.api_versions_body(3), 2),
             (wire.API_METADATA, 4, wire.metadata_body(4, [], False), 1)] * 3
    with connect(broker) as c:
        data = b"".join(wire.request(k, v, 1000 + i, body, hv) for i, (k, v, body, hv) in enumerate(calls))
        c.send(data)
        for i, (k, v, _, _) in enumerate(calls):
            r = c.read_response(1000 + i)
            if k == wire.API_API_VERSIONS:
                assert wire.decode_api_versions(r, v).error_code == 0
            else:
                assert broker.node_id in wire.decode_metadata(r, v).brokers


# --------------------------------------------------------------------------- bad frames

@pytest.mark.parametrize("size", [200 * 1024 * 1024, 2**31 - 1])
def test_frame_larger_than_socket_request_max_bytes_closes_connection(broker, size):
    # Default socket.request.max.bytes is 104857600 (100 MiB).
    with connect(broker) as c:
        c.send(struct.pack(">i", size) + b"\x00\x12\x00\x00")
        assert_closed(c, f"frame size {size}")
    assert_still_serving(broker)


def test_socket_request_max_bytes_is_honoured(restricted_broker):
    """restricted_broker has socket.request.max.bytes=1048576: a 700 KB request is
    answered, a frame announcing 2 MiB closes the connection."""
    batch = wire.encode_record_batch([(None, b"x" * 700_000, [])])
    with connect(restricted_broker) as c:
        resp = wire.produce(c, "no-such-topic-max-bytes", 0, batch, version=8)
        assert resp.error_code == wire.UNKNOWN_TOPIC_OR_PARTITION
    with connect(restricted_broker) as c:
        c.send(struct.pack(">i", 2 * 1024 * 1024) + b"\x00" * 1024)
        assert_closed(c, "2 MiB frame with socket.request.max.bytes=1048576")
    assert_still_serving(restricted_broker)


@pytest.mark.parametrize("size", [-1, -2**31])
def test_negative_frame_size_closes_connection(broker, size):
    with connect(broker) as c:
        c.send(struct.pack(">i", size))
        assert_closed(c, f"frame size {size}")
    assert_still_serving(broker)


def _metadata_error(r):
    # A Metadata v1 answer to a malformed request has no error field of its own: any
    # answer at all is wrong, so report it as "no error".
    return 0


def test_truncated_request_body_closes_or_errors(broker):
    # Metadata v1 whose topic array claims 3 names but holds one.
    body = Writer().int32(3).string("abc").getvalue()
    with connect(broker) as c:
        c.send(wire.request(wire.API_METADATA, 1, 77, body))
        assert_closed_or_error(c, "truncated Metadata body", 77, _metadata_error,
                               errors={wire.INVALID_REQUEST, wire.CORRUPT_MESSAGE})
    assert_still_serving(broker)


def test_truncated_request_header_closes_connection(broker):
    with connect(broker) as c:
        c.send(wire.frame(b"\x00\x03\x00"))  # 3 bytes: not even api key + version
        assert_closed(c, "3-byte request header")
    assert_still_serving(broker)


def test_frame_cut_short_by_client_close_is_dropped(broker):
    with connect(broker) as c:
        c.send(struct.pack(">i", 100) + b"\x00\x12\x00\x00" + b"x" * 16)
        c.sock.shutdown(socket.SHUT_WR)
        assert_closed(c, "frame cut short")
    assert_still_serving(broker)


def test_unknown_api_key_closes_connection(broker):
    for key in (9999, 32767):
        with connect(broker) as c:
            c.send(wire.request(key, 0, 5, b""))
            assert_closed(c, f"unknown API key {key}")
    assert_still_serving(broker)


def test_unsupported_version_of_a_known_api_closes_or_errors(broker):
    with connect(broker) as c:
        c.send(wire.request(wire.API_METADATA, 99, 6, b"", header_version=2))
        assert_closed_or_error(c, "Metadata v99", 6, _metadata_error, errors={wire.UNSUPPORTED_VERSION})
    assert_still_serving(broker)


# (api key, a version far above what any broker serves): APIs other than ApiVersions
# (which answers error 35, KIP-511) and Produce (whose old versions answer an error).
UNSUPPORTED_VERSIONS = [(wire.API_FETCH, 99), (wire.API_LIST_OFFSETS, 99), (19, 99), (32, 77)]


@pytest.mark.parametrize("api_key,version", UNSUPPORTED_VERSIONS,
                         ids=[f"key{k}-v{v}" for k, v in UNSUPPORTED_VERSIONS])
def test_unsupported_version_closes_only_that_connection(broker, api_key, version):
    """The offending connection is closed without an answer; a connection that was open
    all along keeps being served on the same socket, before and after."""
    with connect(broker) as bystander:
        assert wire.api_versions(bystander, 0).error_code == 0
        for attempt in range(3):
            with connect(broker) as c:
                c.send(wire.request(api_key, version, 9 + attempt, b"\x00" * 16))
                assert_closed(c, f"API {api_key} v{version}")
            md = wire.metadata(bystander, [], version=1)
            assert broker.node_id in md.brokers, f"bystander after attempt {attempt}"
        assert wire.api_versions(bystander, 0).error_code == 0
    assert_still_serving(broker)


# --------------------------------------------------------------------------- tagged fields

def test_unknown_tagged_fields_are_ignored(broker):
    """Flexible versions carry tagged fields; unknown tags must be skipped, not refused."""
    with connect(broker) as c:
        r = c.call(wire.API_API_VERSIONS, 3,
                   wire.api_versions_body(3, tagged_fields=[(200, b"\x01\x02"), (300, b"")]),
                   header_version=2, tagged_fields=[(100, b"xyz")])
        assert wire.decode_api_versions(r, 3).error_code == 0
        md = wire.metadata_v12(c, None, tagged_fields=[(77, b"abc")])
        assert broker.node_id in md.brokers
        md = wire.metadata_v12(c, ["no-such-topic-tagged"], tagged_fields=[(9, b"\x00" * 40)],
                               topic_tagged_fields=[(5, b"")])
        assert md.topics["no-such-topic-tagged"].error_code == wire.UNKNOWN_TOPIC_OR_PARTITION


def _api_versions_error(r):
    return r.int16()


@pytest.mark.parametrize("case", ["count_without_fields", "size_beyond_end", "missing_section",
                                  "header_count_without_fields", "huge_count"])
def test_garbage_tagged_fields_close_or_error(broker, broker_kind, case, request):
    if case == "huge_count" and broker_kind == "kafka":
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "Kafka 4.3 reads a tagged-field count of 2^31 as a negative int, skips the section "
            "and answers normally; Moldau must refuse it")))
    w = Writer().compact_string("moldau-tests").compact_string("1.0")
    header_tags = None
    if case == "count_without_fields":
        w.uvarint(5)
    elif case == "size_beyond_end":
        w.uvarint(1).uvarint(7).uvarint(100).raw(b"ab")
    elif case == "huge_count":
        w.uvarint(2**31)
    body = w.getvalue()
    if case == "header_count_without_fields":
        hdr = Writer().int16(wire.API_API_VERSIONS).int16(3).int32(9).string("c").uvarint(3).getvalue()
        data = wire.frame(hdr + wire.api_versions_body(3))
    else:
        data = wire.request(wire.API_API_VERSIONS, 3, 9, body, header_version=2, tagged_fields=header_tags)
    with connect(broker) as c:
        c.send(data)
        assert_closed_or_error(c, f"garbage tagged fields ({case})", 9, _api_versions_error,
                               errors={wire.INVALID_REQUEST, wire.CORRUPT_MESSAGE})
    assert_still_serving(broker)


def test_metadata_v12_reports_topic_ids(broker, new_topic):
    name = new_topic(partitions=2)
    with connect(broker) as c:
        md = wire.metadata_v12(c, [name])
    t = md.topics[name]
    assert t.error_code == 0 and t.topic_id != bytes(16), "a topic id (KIP-516) is expected"
    assert [p.index for p in t.partitions] == [0, 1]
    assert all(p.leader == broker.node_id and p.replicas == [broker.node_id] for p in t.partitions)
    assert md.cluster_id, "Metadata v2+ carries the cluster id"
