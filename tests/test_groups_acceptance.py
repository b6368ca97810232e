"""Issue 5's acceptance checks with confluent-kafka consumers that subscribe() to a
6-partition topic, each member its own process:

* 60,000 records are consumed exactly once across three members that commit
  synchronously after every batch; the committed offsets sum to 60,000, also after a
  broker restart;
* after one of two members is SIGKILLed, all 6,000 records produced afterwards reach
  the survivor (which takes over the dead member's partitions once its session times
  out).

Run as a script (`python test_groups_acceptance.py member ...`) this file is one group
member: it prints ASSIGN/REVOKE/R(ecord)/COMMITFAIL lines on stdout and stops when its
stop file appears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.groups]

TOPIC_PARTITIONS = 6
HERE = Path(__file__).resolve()


# ----------------------------------------------------------------------------- the member

def member_main(bootstrap, topic, group, session_ms, stop_file):
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    def say(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": int(session_ms),
        "heartbeat.interval.ms": 500,
        "max.poll.interval.ms": 60000,
        "partition.assignment.strategy": "range",
        "socket.timeout.ms": 10000,
    })

    def on_assign(consumer, parts):
        say("ASSIGN " + ",".join(str(p.partition) for p in parts))

    def on_revoke(consumer, parts):
        say("REVOKE " + ",".join(str(p.partition) for p in parts))

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    try:
        while not os.path.exists(stop_file):
            msgs = c.consume(1000, 0.2)
            if not msgs:
                continue
            nxt = {}
            for m in msgs:
                if m.error():
                    say(f"ERROR {m.error()}")
                    continue
                say(f"R {m.partition()} {m.offset()} {m.value().decode()}")
                nxt[m.partition()] = m.offset() + 1
            if nxt:
                try:
                    c.commit(offsets=[TopicPartition(topic, p, o) for p, o in nxt.items()], asynchronous=False)
                except KafkaException as e:
                    say(f"COMMITFAIL {e}")
    finally:
        c.close()
        say("CLOSED")


# ----------------------------------------------------------------------------- the test side

class Member:
    """One member process and what it printed."""

    def __init__(self, bootstrap, topic, group, workdir: Path, name, session_ms=6000):
        self.name = name
        self.stop_file = workdir / f"stop-{name}"
        self.lines = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE), "member", bootstrap, topic, group, str(session_ms), str(self.stop_file)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def assignment(self):
        """The partitions the member holds now (eager protocol: REVOKE empties it)."""
        current = set()
        for line in self.snapshot():
            if line.startswith("ASSIGN "):
                current = {int(p) for p in line[7:].split(",") if p}
            elif line.startswith("REVOKE"):
                current = set()
        return current

    def records(self):
        out = []
        for line in self.snapshot():
            if line.startswith("R "):
                _, p, o, v = line.split(" ", 3)
                out.append((int(p), int(o), v))
        return out

    def stop(self, timeout=30):
        self.stop_file.touch()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.reader.join(5)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.reader.join(5)


def wait_stable(members, timeout=60.0):
    """Until every member holds partitions, disjoint, covering the topic."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sets = [m.assignment() for m in members]
        union = set().union(*sets)
        if all(sets) and sum(len(s) for s in sets) == len(union) == TOPIC_PARTITIONS:
            return sets
        for m in members:
            assert m.proc.poll() is None, f"member {m.name} exited: {m.snapshot()[-5:]}"
        time.sleep(0.1)
    raise AssertionError(f"group not stable after {timeout}s: {[sorted(m.assignment()) for m in members]}")


def committed_sum(bootstrap, topic, group):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(TOPIC_PARTITIONS)], timeout=30)
        assert all(tp.error is None for tp in tps), tps
        return sum(max(tp.offset, 0) for tp in tps), {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def produce(bootstrap, topic, tag, n):
    from harness.clients import confluent_produce
    records = [(f"k{i % 600}", f"{tag}-{i:08d}") for i in range(n)]
    confluent_produce(bootstrap, topic, records, timeout=120, acks="all", **{"linger.ms": 20})
    return {v for _, v in records}


@pytest.mark.acceptance
@pytest.mark.timeout(300)
def test_60000_exactly_once_across_three_members_and_offsets_survive_restart(broker_factory, tmp_path):
    from conftest import create_topic
    from confluent_kafka.admin import AdminClient
    b = broker_factory.new("groups-acc")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    topic = create_topic(admin, "acc-three", TOPIC_PARTITIONS, broker=b)
    group = "acc-three-members"
    members = [Member(b.bootstrap, topic, group, tmp_path, f"m{i}") for i in range(3)]
    try:
        sets = wait_stable(members)
        assert all(len(s) == 2 for s in sets), sets
        sent = produce(b.bootstrap, topic, "three", 60_000)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sum(len(m.records()) for m in members) < 60_000:
            time.sleep(0.2)
        time.sleep(1.0)  # anything beyond 60,000 (a duplicate) shows up now
        got = [r for m in members for r in m.records()]
        values = [v for _, _, v in got]
        assert len(values) == 60_000 and set(values) == sent, (
            f"{len(values)} consumed, {len(set(values))} distinct, {len(sent - set(values))} missing")
        # Each member read only its own partitions, and the group never rebalanced.
        for m, s in zip(members, sets):
            assert {p for p, _, _ in m.records()} <= s, m.name
            assert m.assignment() == s, f"{m.name} was reassigned"
            assert not [line for line in m.snapshot() if line.startswith("COMMITFAIL")], m.name
    finally:
        for m in members:
            m.stop()

    total, per_partition = committed_sum(b.bootstrap, topic, group)
    assert total == 60_000, per_partition
    b.restart()
    total, per_partition = committed_sum(b.bootstrap, topic, group)
    assert total == 60_000, f"after a restart: {per_partition}"


@pytest.mark.acceptance
@pytest.mark.timeout(240)
def test_records_after_a_member_is_sigkilled_reach_the_survivor(broker_factory, tmp_path):
    from conftest import create_topic
    from confluent_kafka.admin import AdminClient
    b = broker_factory.new("groups-kill")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    topic = create_topic(admin, "acc-kill", TOPIC_PARTITIONS, broker=b)
    group = "acc-kill-members"
    survivor = Member(b.bootstrap, topic, group, tmp_path, "survivor", session_ms=6000)
    victim = Member(b.bootstrap, topic, group, tmp_path, "victim", session_ms=6000)
    try:
        sets = wait_stable([survivor, victim])
        assert [len(s) for s in sets] == [3, 3], sets
        produce(b.bootstrap, topic, "before", 600)
        wait_deadline = time.monotonic() + 60
        while time.monotonic() < wait_deadline and len(survivor.records()) + len(victim.records()) < 600:
            time.sleep(0.1)
        assert len(survivor.records()) + len(victim.records()) >= 600

        victim.kill()
        killed_at = time.monotonic()
        sent = produce(b.bootstrap, topic, "after", 6_000)

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            got = {v for _, _, v in survivor.records() if v.startswith("after-")}
            if got >= sent:
                break
            time.sleep(0.2)
        got = {v for _, _, v in survivor.records() if v.startswith("after-")}
        assert got >= sent, f"the survivor has {len(got)} of the 6,000 records produced after the kill"
        assert survivor.assignment() == set(range(TOPIC_PARTITIONS))
        took = time.monotonic() - killed_at
        # Within the session timeout (6 s) plus the rebalance and the catch-up.
        assert took < 45, f"took {took:.1f}s"
    finally:
        survivor.stop()
        if victim.proc.poll() is None:
            victim.kill()


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "member":
        member_main(*sys.argv[2:])
    else:
        sys.exit("usage: test_groups_acceptance.py member BOOTSTRAP TOPIC GROUP SESSION_MS STOP_FILE")
