"""Consumer groups with real clients: confluent-kafka members sharing a 6-partition
topic and resuming from committed offsets after a broker restart; kafka-python's group
consumer; Kafka's kafka-console-consumer (always in a group) and kafka-consumer-groups
(--list, --describe with lag, --delete-offsets, --delete); confluent-kafka's admin
client (list with a states filter, describe, alter/list offsets, delete)."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from confluent_kafka import Consumer, ConsumerGroupState, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient

from conftest import create_topic
from harness.clients import confluent_produce, make_records
from harness.util import kafka_tool, wait_until

pytestmark = [pytest.mark.groups]

T = 30


def member(bootstrap, group, **extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "socket.timeout.ms": 10000,
    }
    conf.update(extra)
    return Consumer(conf)


def poll_all(consumers, want, timeout=60.0):
    """Polls the consumers in turn until `want` records arrived in total;
    returns {index: [message]}."""
    got = {i: [] for i in range(len(consumers))}
    deadline = time.monotonic() + timeout
    while sum(len(v) for v in got.values()) < want and time.monotonic() < deadline:
        for i, c in enumerate(consumers):
            for m in c.consume(500, 0.1):
                assert m.error() is None, m.error()
                got[i].append(m)
    return got


def test_two_confluent_members_share_six_partitions_and_resume_after_restart(broker_factory):
    # The default group.initial.rebalance.delay.ms (3 s) lets both join the first
    # generation: no rebalance, so no record can be read twice.
    b = broker_factory.new("groups-two")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    topic = create_topic(admin, "two-members", 6, broker=b)
    group = "two-members"
    sent = make_records("two", 600, keys=60)
    confluent_produce(b.bootstrap, topic, sent)

    cs = [member(b.bootstrap, group), member(b.bootstrap, group)]
    for c in cs:
        c.subscribe([topic])
    try:
        # Polling until both members hold three partitions; what they read
        # meanwhile counts too.
        early = {0: [], 1: []}

        def balanced():
            for i, c in enumerate(cs):
                m = c.poll(0.05)
                if m is not None:
                    assert m.error() is None, m.error()
                    early[i].append(m)
            return sorted(len(c.assignment()) for c in cs) == [3, 3]
        wait_until(balanced, 60, interval=0.01, what="3 partitions per member")
        got = poll_all(cs, len(sent) - len(early[0]) - len(early[1]))
        for i in got:
            got[i] = early[i] + got[i]
        for i, c in enumerate(cs):
            mine = {tp.partition for tp in c.assignment()}
            assert {m.partition() for m in got[i]} <= mine
        values = [m.value().decode() for msgs in got.values() for m in msgs]
        assert sorted(values) == sorted(v for _, v in sent)
        for c in cs:
            c.commit(asynchronous=False)
    finally:
        for c in cs:
            c.close()

    b.restart()
    more = make_records("more", 60, keys=60)
    confluent_produce(b.bootstrap, topic, more)
    c = member(b.bootstrap, group)
    try:
        c.subscribe([topic])
        got = poll_all([c], len(more))
        time.sleep(0.5)
        extra = c.consume(100, 0.5)
        values = sorted(m.value().decode() for m in got[0] + extra)
        assert values == sorted(v for _, v in more), "resumed elsewhere than the committed offsets"
    finally:
        c.close()


def test_kafka_python_group_consumer_commits_and_resumes(broker, new_topic):
    from kafka import KafkaConsumer
    from kafka import TopicPartition as KpTp
    topic = new_topic(partitions=3)
    group = f"kp-{uuid.uuid4().hex[:8]}"
    sent = make_records("kp", 300, keys=30)
    confluent_produce(broker.bootstrap, topic, sent)

    def consumer():
        return KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id=group,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             session_timeout_ms=10000, heartbeat_interval_ms=1000,
                             request_timeout_ms=15000, consumer_timeout_ms=T * 1000)

    c = consumer()
    try:
        values = []
        deadline = time.monotonic() + 60
        while len(values) < len(sent) and time.monotonic() < deadline:
            for msgs in c.poll(timeout_ms=200).values():
                values += [m.value.decode() for m in msgs]
        assert sorted(values) == sorted(v for _, v in sent)
        c.commit()
        assert sum(c.committed(KpTp(topic, p)) or 0 for p in range(3)) == len(sent)
    finally:
        c.close()

    more = make_records("kpmore", 10, keys=10)
    confluent_produce(broker.bootstrap, topic, more)
    c = consumer()
    try:
        values = []
        deadline = time.monotonic() + 60
        while len(values) < len(more) and time.monotonic() < deadline:
            for msgs in c.poll(timeout_ms=200).values():
                values += [m.value.decode() for m in msgs]
        assert sorted(values) == sorted(v for _, v in more)
    finally:
        c.close()


@pytest.mark.timeout(240)
def test_console_consumer_and_consumer_groups_tool(broker, new_topic):
    topic = new_topic(partitions=2)
    group = f"console-{uuid.uuid4().hex[:8]}"
    sent = make_records("console", 50, keys=10)
    confluent_produce(broker.bootstrap, topic, sent)
    bs = broker.bootstrap

    r = kafka_tool("kafka-console-consumer", "--bootstrap-server", bs, "--topic", topic, "--group", group,
                   "--from-beginning", "--max-messages", "50", "--timeout-ms", "60000", timeout=120)
    r.check("kafka-console-consumer")
    lines = [line for line in r.stdout.splitlines() if line.startswith("console-")]
    assert sorted(lines) == sorted(v for _, v in sent)

    confluent_produce(bs, topic, make_records("lag", 5, keys=5))
    r = kafka_tool("kafka-consumer-groups", "--bootstrap-server", bs, "--describe", "--group", group, timeout=90)
    r.check("kafka-consumer-groups --describe")
    rows = [line.split() for line in r.stdout.splitlines() if topic in line.split()]
    assert len(rows) == 2, r.stdout
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    assert sum(int(row[3]) for row in rows) == 50, r.stdout
    assert sum(int(row[4]) for row in rows) == 55, r.stdout
    assert sum(int(row[5]) for row in rows) == 5, r.stdout

    # OffsetDelete: the group is Empty (the console consumer left), any offset may go.
    r = kafka_tool("kafka-consumer-groups", "--bootstrap-server", bs, "--delete-offsets", "--group", group,
                   "--topic", f"{topic}:0", timeout=90)
    r.check("kafka-consumer-groups --delete-offsets")
    assert "Successful" in r.stdout, r.stdout
    admin = AdminClient({"bootstrap.servers": bs})
    from confluent_kafka import ConsumerGroupTopicPartitions
    left = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(
        group, [TopicPartition(topic, 0), TopicPartition(topic, 1)])])[group].result(T)
    offsets = {tp.partition: tp.offset for tp in left.topic_partitions}
    assert offsets[0] < 0 and offsets[1] >= 0, offsets

    r = kafka_tool("kafka-consumer-groups", "--bootstrap-server", bs, "--delete", "--group", group, timeout=90)
    r.check("kafka-consumer-groups --delete")
    assert re.search(r"Deletion of requested consumer groups \('" + re.escape(group) + r"'\) was successful",
                     r.stdout), r.stdout
    listed = admin.list_consumer_groups(request_timeout=T).result(T)
    assert group not in {g.group_id for g in listed.valid}


def test_admin_client_lists_describes_alters_and_deletes_groups(broker, new_topic):
    from confluent_kafka import ConsumerGroupTopicPartitions
    bs = broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bs})
    topic = new_topic(partitions=2)
    confluent_produce(bs, topic, make_records("adm", 20, keys=4))
    group = f"adm-{uuid.uuid4().hex[:8]}"
    c = member(bs, group, **{"client.id": "adm-client"})
    try:
        c.subscribe([topic])
        wait_until(lambda: c.poll(0.1) is not None or len(c.assignment()) == 2, 60, what="assignment")

        def stable():
            c.poll(0.05)
            d = admin.describe_consumer_groups([group], request_timeout=T)[group].result(T)
            return d.state == ConsumerGroupState.STABLE and d
        wait_until(stable, 60, what="a Stable group")
        d = stable()
        assert not d.is_simple_consumer_group and d.partition_assignor == "range"
        assert len(d.members) == 1 and d.members[0].client_id == "adm-client"
        assert d.members[0].host.startswith("/127.0.0.1")
        assert sorted(tp.partition for tp in d.members[0].assignment.topic_partitions) == [0, 1]

        stable_ids = {g.group_id for g in admin.list_consumer_groups(
            states={ConsumerGroupState.STABLE}, request_timeout=T).result(T).valid}
        empty_ids = {g.group_id for g in admin.list_consumer_groups(
            states={ConsumerGroupState.EMPTY}, request_timeout=T).result(T).valid}
        assert group in stable_ids and group not in empty_ids

        # A group with members cannot be deleted.
        with pytest.raises(Exception, match="NON_EMPTY_GROUP"):
            admin.delete_consumer_groups([group], request_timeout=T)[group].result(T)
    finally:
        c.close()

    wait_until(lambda: admin.describe_consumer_groups([group], request_timeout=T)[group].result(T).state
               == ConsumerGroupState.EMPTY, 30, what="an Empty group")
    admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(
        group, [TopicPartition(topic, 0, 7), TopicPartition(topic, 1, 3)])])[group].result(T)
    listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(T)
    assert {(tp.partition, tp.offset) for tp in listed.topic_partitions} == {(0, 7), (1, 3)}
    # An unknown topic cannot be committed to.
    res = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(
        group, [TopicPartition("no-such-topic-" + uuid.uuid4().hex[:6], 0, 1)])])[group]
    (tp,) = res.result(T).topic_partitions
    assert tp.error is not None and tp.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART, tp

    admin.delete_consumer_groups([group], request_timeout=T)[group].result(T)
    with pytest.raises(Exception, match="GROUP_ID_NOT_FOUND"):
        admin.delete_consumer_groups([group], request_timeout=T)[group].result(T)
    d = admin.describe_consumer_groups([group], request_timeout=T)[group].result(T)
    assert d.state in (ConsumerGroupState.DEAD, ConsumerGroupState.UNKNOWN)
