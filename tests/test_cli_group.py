"""`moldau group ...` (docs/cli.md, "group") against the broker under test, with real
confluent-kafka consumers in the group: list with a states filter, describe (members,
client ids, hosts, assignments, committed offset, end offset and lag per partition),
reset-offsets (dry run, refused while members are active, every target, seen by the
next consumer), delete-offsets, delete, and the exit codes and error words."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from harness.clients import confluent_produce
from harness.util import run, wait_until

pytestmark = [pytest.mark.groups]

PER_PARTITION = 10


@pytest.fixture(scope="module")
def cli(pytestconfig, broker):
    """cli(*args, timeout=60) -> Result; runs `moldau ARGS -b <broker>`."""
    binary = pytestconfig.getoption("--moldau-bin")

    def call(*args, timeout=60):
        return run([binary, *args, "--bootstrap-server", broker.bootstrap], timeout=timeout)
    return call


def cli_json(cli, *args):
    return json.loads(cli(*args, "-o", "json").check().stdout)


def fill(bootstrap, topic, partitions, n=PER_PARTITION, timestamps=None):
    for p in range(partitions):
        recs = [(f"k{p}", f"p{p}-{i}") for i in range(n)]
        confluent_produce(bootstrap, topic, recs, partition=p, timestamps=timestamps)


def member(bootstrap, group, client_id, **extra):
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "client.id": client_id,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
    conf.update(extra)
    return Consumer(conf)


def poll_until(consumers, cond, timeout=60, what="condition"):
    got = []

    def step():
        for c in consumers:
            m = c.poll(0.05)
            if m is not None and m.error() is None:
                got.append(m)
        return cond(got)
    wait_until(step, timeout, interval=0, what=what)
    return got


def group_state(cli, group):
    for g in cli_json(cli, "group", "list"):
        if g["group"] == group:
            return g["state"]
    return None


def test_describe_reset_delete_with_live_consumers(cli, broker, new_topic):
    topic = new_topic(partitions=3)
    group = f"cli-group-{uuid.uuid4().hex[:8]}"
    fill(broker.bootstrap, topic, 3)
    cs = [member(broker.bootstrap, group, "cli-a"), member(broker.bootstrap, group, "cli-b")]
    for c in cs:
        c.subscribe([topic])
    try:
        poll_until(cs, lambda got: len(got) >= 3 * PER_PARTITION
                   and sorted(len(c.assignment()) for c in cs) == [1, 2],
                   what="every record read, partitions spread over both members")
        owner_of = {tp.partition: i for i, c in enumerate(cs) for tp in c.assignment()}
        cs[owner_of[0]].commit(offsets=[TopicPartition(topic, 0, PER_PARTITION)], asynchronous=False)
        cs[owner_of[1]].commit(offsets=[TopicPartition(topic, 1, 4)], asynchronous=False)

        d = cli_json(cli, "group", "describe", group)[0]
        assert d["group"] == group and d["state"] == "Stable" and d["protocol_type"] == "consumer"
        members = {m["client_id"]: m for m in d["members"]}
        assert set(members) == {"cli-a", "cli-b"}
        for i, name in enumerate(["cli-a", "cli-b"]):
            m = members[name]
            assert m["host"] and m["member_id"].startswith(name)
            want = sorted(p for p, o in owner_of.items() if o == i)
            assert m["assignment"] == [{"topic": topic, "partitions": want}]
        parts = {p["partition"]: p for p in d["partitions"] if p["topic"] == topic}
        assert sorted(parts) == [0, 1, 2]
        assert (parts[0]["committed_offset"], parts[0]["log_end_offset"], parts[0]["lag"]) == (10, 10, 0)
        assert (parts[1]["committed_offset"], parts[1]["log_end_offset"], parts[1]["lag"]) == (4, 10, 6)
        assert (parts[2]["committed_offset"], parts[2]["log_end_offset"], parts[2]["lag"]) == (None, 10, None)
        for p, info in parts.items():
            assert info["client_id"] == ["cli-a", "cli-b"][owner_of[p]]
            assert info["member_id"] == members[info["client_id"]]["member_id"]
        assert d["total_lag"] == 6

        table = cli("group", "describe", group).check().stdout
        assert "CURRENT-OFFSET  LOG-END-OFFSET  LAG" in table and "Total lag: 6" in table
        assert "State: Stable" in table and f"{topic}:" in table

        listed = cli_json(cli, "group", "list", "--state", "stable")
        assert {"group": group, "state": "Stable", "protocol_type": "consumer"}.items() <= \
            next(g for g in listed if g["group"] == group).items()
        assert group not in [g["group"] for g in cli_json(cli, "group", "list", "--state", "Empty")]

        # Running consumers would overwrite reset offsets: refused, as Kafka's tool does.
        r = cli("group", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute")
        assert r.returncode == 1, r.describe()
        assert "active member" in r.stderr and "Stop its consumers" in r.stderr
        r = cli("group", "delete", group)
        assert r.returncode == 1 and "NON_EMPTY_GROUP" in r.stderr, r.describe()
    finally:
        for c in cs:
            c.close()

    wait_until(lambda: group_state(cli, group) == "Empty", 30, what="the group to be Empty")
    # A dry run changes nothing.
    plan = cli_json(cli, "group", "reset-offsets", group, "--topic", topic, "--to-earliest")
    assert plan["executed"] is False
    assert [(p["partition"], p["current_offset"], p["new_offset"]) for p in plan["partitions"]] == \
        [(0, 10, 0), (1, 4, 0), (2, None, 0)]
    assert "Dry run" in cli("group", "reset-offsets", group, "--topic", topic, "--to-latest").check().stdout
    d = cli_json(cli, "group", "describe", group)[0]
    assert d["state"] == "Empty" and d["members"] == []
    assert {p["partition"]: p["committed_offset"] for p in d["partitions"]} == {0: 10, 1: 4}

    plan = cli_json(cli, "group", "reset-offsets", group, "--topic", topic, "--to-offset", "5",
                    "--execute")
    assert plan["executed"] is True and [p["new_offset"] for p in plan["partitions"]] == [5, 5, 5]
    d = cli_json(cli, "group", "describe", group)[0]
    assert {p["partition"]: (p["committed_offset"], p["lag"]) for p in d["partitions"]} == \
        {0: (5, 5), 1: (5, 5), 2: (5, 5)}

    # The next consumer starts where the reset put the group (auto.offset.reset=latest
    # would skip everything if it did not).
    c = member(broker.bootstrap, group, "cli-next", **{"auto.offset.reset": "latest"})
    c.subscribe([topic])
    try:
        got = poll_until([c], lambda got: len(got) >= 15, what="15 records after the reset")
        time.sleep(1)
        got += [m for m in c.consume(100, 1.0) if m.error() is None]
        assert sorted((m.partition(), m.offset()) for m in got) == \
            [(p, o) for p in range(3) for o in range(5, PER_PARTITION)]
    finally:
        c.close()

    wait_until(lambda: group_state(cli, group) == "Empty", 30, what="the group to be Empty again")
    plan = cli_json(cli, "group", "reset-offsets", group, "--topic", f"{topic}:0,2", "--shift-by",
                    "-3", "--execute")
    # The consumer above did not commit: the offsets are still 5.
    assert [(p["partition"], p["current_offset"], p["new_offset"]) for p in plan["partitions"]] == \
        [(0, 5, 2), (2, 5, 2)]
    plan = cli_json(cli, "group", "reset-offsets", group, "--all-topics", "--shift-by", "100")
    assert [(p["partition"], p["new_offset"]) for p in plan["partitions"]] == [(0, 10), (1, 10), (2, 10)]
    assert all("clamped" in p["note"] for p in plan["partitions"])

    r = cli("group", "delete-offsets", group, "--topic", f"{topic}:1").check()
    assert "partitions 1" in r.stdout
    d = cli_json(cli, "group", "describe", group)[0]
    assert {p["partition"]: p["committed_offset"] for p in d["partitions"]} == {0: 2, 2: 2}

    assert cli("group", "delete", group).check().stdout == f"Deleted group {group}.\n"
    r = cli("group", "describe", group)
    assert r.returncode == 1 and "GROUP_ID_NOT_FOUND" in r.stderr and "moldau group list" in r.stderr
    r = cli("group", "delete", group)
    assert r.returncode == 1 and "GROUP_ID_NOT_FOUND" in r.stderr, r.describe()


def test_reset_to_datetime_and_shift_without_commit(cli, broker, new_topic):
    topic = new_topic(partitions=2)
    group = f"cli-time-{uuid.uuid4().hex[:8]}"
    base = 1_700_000_000_000
    fill(broker.bootstrap, topic, 2, timestamps=[base + i * 1000 for i in range(PER_PARTITION)])
    # --shift-by needs a committed offset to shift.
    r = cli("group", "reset-offsets", group, "--topic", topic, "--shift-by", "1")
    assert r.returncode == 1 and "needs a committed offset" in r.stderr, r.describe()
    plan = cli_json(cli, "group", "reset-offsets", group, "--topic", topic, "--to-datetime",
                    str(base + 4500), "--execute")
    assert [(p["partition"], p["new_offset"]) for p in plan["partitions"]] == [(0, 5), (1, 5)]
    plan = cli_json(cli, "group", "reset-offsets", group, "--topic", f"{topic}:1", "--to-datetime",
                    "2100-01-01T00:00:00Z")
    assert [(p["partition"], p["current_offset"], p["new_offset"]) for p in plan["partitions"]] == \
        [(1, 5, PER_PARTITION)]
    d = cli_json(cli, "group", "describe", group)[0]
    assert d["state"] == "Empty"
    assert [(p["partition"], p["committed_offset"], p["lag"]) for p in d["partitions"]] == \
        [(0, 5, 5), (1, 5, 5)]
    r = cli("group", "reset-offsets", group, "--topic", f"{topic}:7", "--to-earliest")
    assert r.returncode == 1 and "partition 7" in r.stderr, r.describe()
    r = cli("group", "reset-offsets", group, "--topic", "no-such-topic-x", "--to-earliest")
    assert r.returncode == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in r.stderr, r.describe()


def test_usage_errors_and_unreachable_broker(cli, pytestconfig):
    r = cli("group", "reset-offsets", "g", "--topic", "t")
    assert r.returncode == 2 and "--to-earliest" in r.stderr
    r = cli("group", "reset-offsets", "g", "--to-latest")
    assert r.returncode == 2 and "--all-topics" in r.stderr
    r = cli("group", "reset-offsets", "g", "--topic", "t:x", "--to-latest")
    assert r.returncode == 2 and "bad partition" in r.stderr
    r = cli("group", "reset-offsets", "g", "--topic", "t", "--to-datetime", "yesterday")
    assert r.returncode == 2 and "--to-datetime" in r.stderr
    r = cli("group", "list", "--state", "running")
    assert r.returncode == 2 and "PreparingRebalance" in r.stderr
    r = cli("group", "describe", f"never-{uuid.uuid4().hex[:8]}")
    assert r.returncode == 1 and "GROUP_ID_NOT_FOUND" in r.stderr
    binary = pytestconfig.getoption("--moldau-bin")
    r = run([binary, "group", "list", "-b", "127.0.0.1:1"], timeout=60)
    assert r.returncode == 3 and "--bootstrap-server" in r.stderr
