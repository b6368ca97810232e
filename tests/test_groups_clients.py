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


# ----------------------------------------------------------------------------- four clients

# One group member per client library, each a process so it can be SIGKILLed. Every
# member commits synchronously before it prints "R\tpartition\toffset\tvalue" for a
# record, and leaves the group on SIGTERM. All of them offer the "range" assignor (the
# only protocol they have in common; see tests/js/group_member.js).
CONFLUENT_MEMBER = r"""
import signal, sys
from confluent_kafka import Consumer, KafkaException
bootstrap, group, topic, client_id = sys.argv[1:5]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": client_id,
              "partition.assignment.strategy": "range", "enable.auto.commit": False,
              "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
              "heartbeat.interval.ms": 500})
running = [True]
signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))
c.subscribe([topic])
while running[0]:
    msgs = [m for m in c.consume(100, 0.2) if m.error() is None]
    if not msgs:
        continue
    try:
        c.commit(asynchronous=False)
    except KafkaException as e:
        print(f"E commit failed: {e}", file=sys.stderr, flush=True)
        continue
    sys.stdout.write("".join(f"R\t{m.partition()}\t{m.offset()}\t{m.value().decode()}\n" for m in msgs))
    sys.stdout.flush()
c.close()
"""

KAFKA_PYTHON_MEMBER = r"""
import signal, sys
from kafka import KafkaConsumer
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.errors import CommitFailedError, KafkaError
bootstrap, group, topic, client_id = sys.argv[1:5]
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id=client_id,
                  partition_assignment_strategy=[RangePartitionAssignor],
                  enable_auto_commit=False, auto_offset_reset="earliest",
                  session_timeout_ms=6000, heartbeat_interval_ms=500)
running = [True]
signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))
while running[0]:
    msgs = [m for batch in c.poll(timeout_ms=200).values() for m in batch]
    if not msgs:
        continue
    try:
        c.commit()
    except (CommitFailedError, KafkaError) as e:
        print(f"E commit failed: {e}", file=sys.stderr, flush=True)
        continue
    sys.stdout.write("".join(f"R\t{m.partition}\t{m.offset}\t{m.value.decode()}\n" for m in msgs))
    sys.stdout.flush()
c.close()
"""


class Member:
    """A member process; its "R" lines are collected by a reader thread."""

    def __init__(self, kind, cmd):
        import subprocess
        import threading
        self.kind = kind
        self.records = []  # (partition, offset, value)
        self.proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.stderr = []
        self._threads = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._threads:
            t.start()

    def _read_out(self):
        for line in self.proc.stdout:
            parts = line.rstrip("\n").split("\t", 3)
            if parts[0] == "R" and len(parts) == 4:
                self.records.append((int(parts[1]), int(parts[2]), parts[3]))

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)
            del self.stderr[:-50]

    def stop(self, timeout=30):
        import signal
        import subprocess
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for t in self._threads:
            t.join(5)

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)

    def describe(self):
        return f"{self.kind} (exit {self.proc.poll()}): {''.join(self.stderr[-10:])}"


def start_member(kind, bootstrap, group, topic):
    import sys
    from harness.util import TESTS_DIR
    client_id = f"member-{kind}"
    args = [bootstrap, group, topic, client_id]
    if kind == "confluent":
        return Member(kind, [sys.executable, "-c", CONFLUENT_MEMBER, *args])
    if kind == "kafka-python":
        return Member(kind, [sys.executable, "-c", KAFKA_PYTHON_MEMBER, *args])
    if kind == "kafkajs":
        return Member(kind, ["node", TESTS_DIR / "js" / "group_member.js", *args])
    if kind == "java":
        jar = TESTS_DIR / "java" / "target" / "client-check.jar"
        assert jar.is_file(), f"{jar} missing: run scripts/install-test-clients.sh"
        return Member(kind, ["java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                             "-cp", f"{jar}:{TESTS_DIR / 'java' / 'target' / 'lib'}/*",
                             "dev.moldau.tests.GroupMember", *args])
    raise ValueError(kind)


def described_assignment(admin, group):
    """{client_id: sorted partitions} while the group is Stable, else None."""
    d = admin.describe_consumer_groups([group], request_timeout=T)[group].result(T)
    if d.state != ConsumerGroupState.STABLE:
        return None
    return {m.client_id: sorted(tp.partition for tp in m.assignment.topic_partitions)
            for m in d.members}


@pytest.mark.timeout(400)
def test_four_client_libraries_share_a_group(broker, new_topic, pytestconfig):
    """confluent-kafka, kafka-python, kafkajs and the Java client (classic protocol) in
    one group on a 6-partition topic: while it is stable every record is read exactly
    once; after one member is SIGKILLed the others take its partitions once its session
    (6 s) expires and read everything produced afterwards; kafka-consumer-groups.sh and
    `moldau group describe` show the right lag."""
    import json
    import signal as _signal  # noqa: F401 - documents that kill() is SIGKILL
    from harness.util import run
    bs = broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bs})
    topic = new_topic(partitions=6)
    group = f"four-{uuid.uuid4().hex[:8]}"
    kinds = ["confluent", "kafka-python", "kafkajs", "java"]
    members = {k: start_member(k, bs, group, topic) for k in kinds}
    try:
        def all_in():
            for m in members.values():
                assert m.proc.poll() is None, m.describe()
            a = described_assignment(admin, group)
            return (a is not None and set(a) == {f"member-{k}" for k in kinds}
                    and sorted(p for ps in a.values() for p in ps) == list(range(6)) and a)
        assignment = wait_until(all_in, 120, interval=0.5, what="a Stable group of the four clients")
        assert sorted(len(ps) for ps in assignment.values()) == [1, 1, 2, 2], assignment

        sent = make_records("four", 1200, keys=120)
        confluent_produce(bs, topic, sent)

        def total():
            return sum(len(m.records) for m in members.values())
        wait_until(lambda: total() >= len(sent), 90, interval=0.2,
                   what=f"{len(sent)} records read by the members")
        time.sleep(1)  # anything read twice would show up now
        # The group was stable throughout: nothing read twice, nothing missed, and each
        # member read only its own partitions.
        assert described_assignment(admin, group) == assignment
        values = [v for m in members.values() for _, _, v in m.records]
        assert len(values) == len(set(values)) == len(sent), \
            f"{len(values)} read, {len(set(values))} distinct, {len(sent)} sent"
        assert set(values) == {v for _, v in sent}
        for k, m in members.items():
            assert {p for p, _, _ in m.records} <= set(assignment[f"member-{k}"]), k

        # SIGKILL: no LeaveGroup, so the coordinator notices only when the session expires.
        victim = "kafkajs"
        lost = assignment[f"member-{victim}"]
        members[victim].kill()
        killed_at = time.monotonic()
        survivors = {k: m for k, m in members.items() if k != victim}

        def taken_over():
            for m in survivors.values():
                assert m.proc.poll() is None, m.describe()
            a = described_assignment(admin, group)
            return (a is not None and set(a) == {f"member-{k}" for k in survivors}
                    and sorted(p for ps in a.values() for p in ps) == list(range(6)) and a)
        after = wait_until(taken_over, 90, interval=0.5,
                           what=f"the survivors to take partitions {lost} of the killed member")
        took = time.monotonic() - killed_at
        assert took > 3, f"rebalanced {took:.1f}s after the kill, before the 6 s session could expire"
        before = {k: len(m.records) for k, m in survivors.items()}
        more = make_records("after-kill", 600, keys=120)
        confluent_produce(bs, topic, more)
        wait_until(lambda: {v for m in survivors.values() for _, _, v in m.records[before[m.kind]:]}
                   >= {v for _, v in more}, 90, interval=0.2,
                   what="every record produced after the kill to reach a survivor")
        for k, m in survivors.items():
            late = {p for p, _, _ in m.records[before[k]:]}
            assert late <= set(after[f"member-{k}"]), (k, late, after)
    finally:
        for m in members.values():
            m.stop()

    wait_until(lambda: admin.describe_consumer_groups([group], request_timeout=T)[group].result(T).state
               == ConsumerGroupState.EMPTY, 60, what="an Empty group after the members left")
    # Lag: 5 more records on each partition nobody reads.
    for p in range(6):
        confluent_produce(bs, topic, [(None, f"lag-{p}-{i}") for i in range(5)], partition=p)
    ends = len(sent) + len(more) + 30
    r = kafka_tool("kafka-consumer-groups", "--bootstrap-server", bs, "--describe", "--group", group,
                   timeout=90).check("kafka-consumer-groups --describe")
    rows = [line.split() for line in r.stdout.splitlines() if topic in line.split()]
    assert len(rows) == 6, r.stdout
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    assert sum(int(row[4]) for row in rows) == ends, r.stdout
    assert all(int(row[5]) == 5 for row in rows), r.stdout
    assert sum(int(row[3]) for row in rows) == ends - 30, r.stdout
    binary = pytestconfig.getoption("--moldau-bin")
    d = json.loads(run([binary, "group", "describe", group, "-o", "json", "-b", bs]).check().stdout)[0]
    assert [(p["partition"], p["lag"]) for p in d["partitions"]] == [(p, 5) for p in range(6)]
    assert d["total_lag"] == 30
