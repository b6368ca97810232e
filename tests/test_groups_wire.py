"""FindCoordinator on the wire: v0 on a fresh broker answers COORDINATOR_NOT_AVAILABLE
while __consumer_offsets is being created and then this broker's address; v4 answers
batched keys one by one; transaction keys get COORDINATOR_NOT_AVAILABLE while
__transaction_state is created on first use, then this broker. ApiVersions advertises the group APIs."""

from __future__ import annotations

import time

import pytest

from harness import wire

pytestmark = [pytest.mark.groups]

FIND_COORDINATOR = 10
COORDINATOR_NOT_AVAILABLE = 15


def find_coordinator_v0(conn, key):
    r = conn.call(FIND_COORDINATOR, 0, wire.Writer().string(key).getvalue())
    return {"error": r.int16(), "node_id": r.int32(), "host": r.string(), "port": r.int32()}


def find_coordinator_v4(conn, keys, key_type=0):
    body = (wire.Writer().int8(key_type)
            .compact_array(keys, lambda w, k: w.compact_string(k)).tagged_fields().getvalue())
    r = conn.call(FIND_COORDINATOR, 4, body, header_version=2, response_header_version=1)
    r.int32()  # throttle_time_ms

    def coordinator(r):
        c = {"key": r.compact_string(), "node_id": r.int32(), "host": r.compact_string(), "port": r.int32(),
             "error": r.int16(), "message": r.compact_string()}
        r.tagged_fields()
        return c
    out = r.compact_array(coordinator)
    r.tagged_fields()
    return out


def test_find_coordinator_creates_the_offsets_topic_and_answers_batched_keys(broker_factory):
    b = broker_factory.new("groups-wire")
    with wire.Connection(b.host, b.port) as conn:
        first = find_coordinator_v0(conn, "g0")
        # The first request starts creating __consumer_offsets (a single node does it at
        # once, so the answer may already be the coordinator).
        assert first["error"] in (0, COORDINATOR_NOT_AVAILABLE), first
        deadline = time.monotonic() + 30
        answer = first
        while answer["error"] != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            answer = find_coordinator_v0(conn, "g0")
        assert answer == {"error": 0, "node_id": b.node_id, "host": b.host, "port": b.port}

        md = wire.metadata(conn, ["__consumer_offsets"], allow_auto_topic_creation=False)
        t = md.topics["__consumer_offsets"]
        assert t.error_code == 0 and len(t.partitions) == 50

        keys = ["a", "b", "polygenelubricants", ""]
        got = find_coordinator_v4(conn, keys)
        assert [c["key"] for c in got] == keys
        for c in got:
            assert (c["error"], c["node_id"], c["host"], c["port"]) == (0, b.node_id, b.host, b.port), c

        txn = find_coordinator_v4(conn, ["txn-1"], key_type=1)
        assert [(c["key"], c["error"]) for c in txn] == [("txn-1", COORDINATOR_NOT_AVAILABLE)]
        deadline = time.monotonic() + 30
        while txn[0]["error"] != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            txn = find_coordinator_v4(conn, ["txn-1"], key_type=1)
        assert (txn[0]["error"], txn[0]["node_id"], txn[0]["port"]) == (0, b.node_id, b.port), txn


def test_api_versions_advertises_the_group_apis(broker):
    want = {10: (0, 6), 11: (0, 9), 12: (0, 4), 13: (0, 5), 14: (0, 5), 8: (2, 9), 9: (1, 9),
            47: (0, 0), 16: (0, 5), 15: (0, 5), 42: (0, 2)}
    with wire.Connection(broker.host, broker.port) as conn:
        av = wire.api_versions(conn, version=0)
    got = av.api_keys
    for key, rng in want.items():
        assert got.get(key) == rng, f"api key {key}: {got.get(key)}, want {rng}"
