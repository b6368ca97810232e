"""Transactions (issue 6, the coordinator half): confluent-kafka transactional producers
commit and abort, a read_committed consumer sees exactly the committed records; a
consume-transform-produce loop with send_offsets_to_transaction, also in Java
(tests/java TxnLoop); the broker SIGKILLed with a transaction open or just committed;
`moldau txn list/describe`."""

import time
import uuid

import pytest

from harness.clients import confluent_admin, confluent_consume, confluent_consumer
from conftest import create_topic

pytestmark = pytest.mark.transactions


def txn_producer(bootstrap, txn_id, **config):
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5,
            "transaction.timeout.ms": 60000, "socket.timeout.ms": 10000}
    conf.update(config)
    p = Producer(conf)
    p.init_transactions(30)
    return p


def produce_txn(p, topic, values, commit, partitions=3):
    p.begin_transaction()
    for i, v in enumerate(values):
        p.produce(topic, value=v.encode(), key=str(i).encode(), partition=i % partitions)
        if i % 500 == 0:
            p.poll(0)
    if commit:
        p.commit_transaction(30)
    else:
        p.flush(30)
        p.abort_transaction(30)


def read_all(bootstrap, topic, partitions, expect, isolation, timeout=30.0, settle=3.0):
    """Reads until `expect` records arrived, then `settle` more seconds (so that extra
    records would show)."""
    got = confluent_consume(bootstrap, topic, partitions, expect, timeout=timeout,
                            **{"isolation.level": isolation})
    more = []
    if len(got) == expect:
        more = confluent_consume(bootstrap, topic, partitions, expect + 1, timeout=settle,
                                 **{"isolation.level": isolation})
    return got if len(more) <= len(got) else more


def uid(tag):
    return f"{tag}-{uuid.uuid4().hex[:8]}"


@pytest.mark.acceptance
def test_commit_abort_commit_read_committed_sees_2000(broker, admin):
    topic = create_topic(admin, uid("txn-cac"), 3, broker=broker)
    p = txn_producer(broker.bootstrap, uid("txn-cac"))
    produce_txn(p, topic, [f"c1-{i}" for i in range(1000)], commit=True)
    produce_txn(p, topic, [f"ab-{i}" for i in range(1000)], commit=False)
    produce_txn(p, topic, [f"c2-{i}" for i in range(1000)], commit=True)

    committed = read_all(broker.bootstrap, topic, [0, 1, 2], 2000, "read_committed")
    values = sorted(r.value for r in committed)
    assert len(values) == 2000, f"read_committed read {len(values)} records"
    assert values == sorted([f"c1-{i}" for i in range(1000)] + [f"c2-{i}" for i in range(1000)])

    uncommitted = read_all(broker.bootstrap, topic, [0, 1, 2], 3000, "read_uncommitted")
    assert len(uncommitted) == 3000, f"read_uncommitted read {len(uncommitted)} records"
    assert sum(1 for r in uncommitted if r.value.startswith("ab-")) == 1000


def test_open_transaction_is_invisible_to_read_committed(broker, admin):
    topic = create_topic(admin, uid("txn-open"), 1, broker=broker)
    p = txn_producer(broker.bootstrap, uid("txn-open"))
    produce_txn(p, topic, [f"a-{i}" for i in range(10)], commit=True, partitions=1)
    p.begin_transaction()
    for i in range(10):
        p.produce(topic, value=f"open-{i}".encode(), partition=0)
    p.flush(30)
    got = confluent_consume(broker.bootstrap, topic, [0], 11, timeout=4, **{"isolation.level": "read_committed"})
    assert sorted(r.value for r in got) == sorted(f"a-{i}" for i in range(10))
    p.commit_transaction(30)
    got = read_all(broker.bootstrap, topic, [0], 20, "read_committed")
    assert len(got) == 20


def test_new_producer_fences_the_old_one(broker, admin):
    from confluent_kafka import KafkaException
    topic = create_topic(admin, uid("txn-fence"), 1, broker=broker)
    txn_id = uid("txn-fence")
    old = txn_producer(broker.bootstrap, txn_id)
    old.begin_transaction()
    old.produce(topic, value=b"zombie", partition=0)
    old.flush(30)
    new = txn_producer(broker.bootstrap, txn_id)  # aborts the old one's transaction
    produce_txn(new, topic, ["fresh"], commit=True, partitions=1)
    with pytest.raises(KafkaException):
        old.commit_transaction(15)
    got = read_all(broker.bootstrap, topic, [0], 1, "read_committed")
    assert [r.value for r in got] == ["fresh"]


def test_consume_transform_produce_with_offsets(broker, admin):
    from confluent_kafka import TopicPartition
    n = 600
    src = create_topic(admin, uid("ctp-in"), 2, broker=broker)
    dst = create_topic(admin, uid("ctp-out"), 2, broker=broker)
    group = uid("ctp-group")
    from confluent_kafka import Producer
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(n):
        plain.produce(src, value=f"in-{i}".encode(), partition=i % 2)
    plain.flush(30)

    p = txn_producer(broker.bootstrap, uid("ctp"))
    c = confluent_consumer(broker.bootstrap, **{"group.id": group, "isolation.level": "read_committed"})
    c.subscribe([src])
    consumed = 0
    rounds = 0
    deadline = time.monotonic() + 90
    try:
        while consumed < n and time.monotonic() < deadline:
            msgs = [m for m in c.consume(100, 1.0) if not m.error()]
            if not msgs:
                continue
            rounds += 1
            p.begin_transaction()
            for m in msgs:
                p.produce(dst, value=("out-" + m.value().decode()[3:]).encode(), partition=m.partition())
            positions = c.position(c.assignment())
            p.send_offsets_to_transaction(positions, c.consumer_group_metadata(), 30)
            if rounds % 3 == 0:
                # Abort every third round and go back to the committed offsets.
                p.abort_transaction(30)
                committed = c.committed(c.assignment(), 10)
                for tp in committed:
                    c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else 0))
            else:
                p.commit_transaction(30)
                consumed += len(msgs)
        assert consumed == n, f"transformed {consumed} of {n}"
        committed = c.committed([TopicPartition(src, 0), TopicPartition(src, 1)], 10)
        assert sum(tp.offset for tp in committed) == n, committed
    finally:
        c.close()
    assert rounds >= 3, "no round was aborted"
    out = read_all(broker.bootstrap, dst, [0, 1], n, "read_committed")
    values = sorted(r.value for r in out)
    assert values == sorted(f"out-{i}" for i in range(n)), f"{len(values)} outputs"


@pytest.mark.parametrize("when", ["open", "after_commit"])
def test_sigkill_mid_transaction(broker_factory, when):
    b = broker_factory.new(f"txn-kill-{when}")
    admin = confluent_admin(b.bootstrap)
    topic = create_topic(admin, uid("txn-kill"), 2, broker=b)
    txn_id = uid("txn-kill")
    p = txn_producer(b.bootstrap, txn_id)
    produce_txn(p, topic, [f"first-{i}" for i in range(100)], commit=True, partitions=2)
    p.begin_transaction()
    for i in range(100):
        p.produce(topic, value=f"second-{i}".encode(), partition=i % 2)
    p.flush(30)
    if when == "after_commit":
        p.commit_transaction(30)
    b.crash_restart()
    expected = [f"first-{i}" for i in range(100)]
    if when == "after_commit":
        expected += [f"second-{i}" for i in range(100)]
    else:
        # A new producer with the same id aborts what the crash left open.
        p2 = txn_producer(b.bootstrap, txn_id)
        produce_txn(p2, topic, [f"third-{i}" for i in range(50)], commit=True, partitions=2)
        expected += [f"third-{i}" for i in range(50)]
    got = read_all(b.bootstrap, topic, [0, 1], len(expected), "read_committed", timeout=60)
    assert sorted(r.value for r in got) == sorted(expected)


def test_java_transactional_producer(broker, admin, tmp_path):
    import subprocess
    from pathlib import Path
    java_dir = Path(__file__).parent / "java"
    lib = java_dir / "target" / "lib"
    assert lib.is_dir(), f"{lib} missing: run scripts/install-test-clients.sh"
    # Compiled here so that the test does not depend on the jar being rebuilt.
    src = java_dir / "src" / "main" / "java" / "dev" / "moldau" / "tests" / "TxnProducer.java"
    subprocess.run(["javac", "-cp", f"{lib}/*", "-d", str(tmp_path), str(src)], check=True, timeout=120)
    topic = create_topic(admin, uid("txn-java"), 2, broker=broker)
    r = subprocess.run(["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-cp", f"{tmp_path}:{lib}/*", "dev.moldau.tests.TxnProducer",
                        broker.bootstrap, topic, uid("txn-java"), "200", "commit", "abort", "commit"],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and "ok" in r.stdout, f"{r.stdout}\n{r.stderr[-3000:]}"
    got = read_all(broker.bootstrap, topic, [0, 1], 400, "read_committed")
    assert sorted(x.value for x in got) == sorted([f"commit-4-{i}" for i in range(200)] +
                                                  [f"commit-6-{i}" for i in range(200)])
    assert len(read_all(broker.bootstrap, topic, [0, 1], 600, "read_uncommitted")) == 600


def test_java_consume_transform_produce_loop(broker, admin, tmp_path):
    """tests/java TxnLoop: a read_committed KafkaConsumer in a group and a transactional
    KafkaProducer; every third transaction (output + sendOffsetsToTransaction) is aborted
    and the consumer sought back to the committed offsets. read_committed sees each input's
    transform exactly once; the group's committed offsets are the input's end offsets."""
    import json
    import subprocess
    from pathlib import Path
    from confluent_kafka import Producer, TopicPartition
    n, parts = 600, 3
    java_dir = Path(__file__).parent / "java"
    lib = java_dir / "target" / "lib"
    assert lib.is_dir(), f"{lib} missing: run scripts/install-test-clients.sh"
    src_file = java_dir / "src" / "main" / "java" / "dev" / "moldau" / "tests" / "TxnLoop.java"
    subprocess.run(["javac", "-cp", f"{lib}/*", "-d", str(tmp_path), str(src_file)], check=True, timeout=120)
    src = create_topic(admin, uid("jctp-in"), parts, broker=broker)
    dst = create_topic(admin, uid("jctp-out"), parts, broker=broker)
    group = uid("jctp-group")
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(n):
        plain.produce(src, key=str(i).encode(), value=f"in-{i}".encode(), partition=i % parts)
    plain.flush(30)
    inputs = confluent_consume(broker.bootstrap, src, list(range(parts)), n, timeout=30)
    assert len(inputs) == n
    expected = sorted(f"{r.value.upper()}@{r.partition}:{r.offset}" for r in inputs)

    r = subprocess.run(["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-cp", f"{tmp_path}:{lib}/*", "dev.moldau.tests.TxnLoop",
                        broker.bootstrap, src, dst, group, uid("jctp"), str(n), "80"],
                       capture_output=True, text=True, timeout=100)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr[-3000:]}"
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["processed"] == n, summary
    assert summary["aborted"] >= 1 and summary["reprocessed"] > 0, summary

    out = read_all(broker.bootstrap, dst, list(range(parts)), n, "read_committed")
    got = sorted(x.value for x in out)
    # read_all stops at n + 1 records, so with extras "missing" is only a sample.
    assert got == expected, (f"{len(got)} outputs, {len(set(got))} distinct; missing "
                             f"{sorted(set(expected) - set(got))[:5]}, extra or duplicate "
                             f"{[v for v in got if got.count(v) > 1 or v not in expected][:5]}")
    # Each output sits on its input's partition.
    assert all(x.value.rsplit("@", 1)[1].split(":")[0] == str(x.partition) for x in out)

    c = confluent_consumer(broker.bootstrap, **{"group.id": group, "isolation.level": "read_committed"})
    try:
        tps = [TopicPartition(src, p) for p in range(parts)]
        committed = {tp.partition: tp.offset for tp in c.committed(tps, 10)}
        ends = {p: c.get_watermark_offsets(TopicPartition(src, p), 10)[1] for p in range(parts)}
    finally:
        c.close()
    assert committed == ends, (committed, ends)
    assert sum(ends.values()) == n


def test_moldau_txn_list_and_describe(pytestconfig, broker, admin):
    import json
    from harness.util import run
    binary = pytestconfig.getoption("--moldau-bin")

    def cli(*args):
        return run([binary, "txn", *args, "--bootstrap-server", broker.bootstrap], timeout=60)

    topic = create_topic(admin, uid("txn-cli"), 2, broker=broker)
    done_id, open_id = uid("txn-cli-done"), uid("txn-cli-open")
    done = txn_producer(broker.bootstrap, done_id)
    produce_txn(done, topic, ["x"], commit=True, partitions=1)
    p = txn_producer(broker.bootstrap, open_id)
    p.begin_transaction()
    p.produce(topic, value=b"y", partition=1)
    p.flush(30)
    try:
        listed = {t["transactional_id"]: t for t in json.loads(cli("list", "-o", "json").check().stdout)}
        assert listed[done_id]["state"] == "CompleteCommit"
        assert listed[open_id]["state"] == "Ongoing"
        ongoing = json.loads(cli("list", "--state", "Ongoing", "-o", "json").check().stdout)
        assert open_id in {t["transactional_id"] for t in ongoing}
        assert done_id not in {t["transactional_id"] for t in ongoing}

        [d] = json.loads(cli("describe", open_id, "-o", "json").check().stdout)
        assert d["state"] == "Ongoing"
        assert d["partitions"] == [{"topic": topic, "partitions": [1]}]
        assert d["producer_id"] == listed[open_id]["producer_id"]
        assert d["timeout_ms"] == 60000 and d["start_time_ms"] is not None
        text = cli("describe", open_id).check().stdout
        assert "Ongoing" in text and topic in text

        missing = cli("describe", uid("txn-nobody"))
        assert missing.returncode == 1 and "TRANSACTIONAL_ID_NOT_FOUND" in missing.stderr, missing.stderr
        bad = cli("list", "--state", "Bogus")
        assert bad.returncode == 2 and "unknown transaction state" in bad.stderr
    finally:
        p.abort_transaction(30)


def test_hung_transaction_is_aborted_by_its_timeout(broker, admin):
    """A producer that stops in the middle of a transaction holds back read_committed
    consumers (the last stable offset) only until transaction.timeout.ms: the
    coordinator aborts it, bumping the epoch, and the producer is fenced."""
    from confluent_kafka import KafkaException, Producer
    topic = create_topic(admin, uid("txn-timeout"), 1, broker=broker)
    p = txn_producer(broker.bootstrap, uid("txn-timeout"), **{"transaction.timeout.ms": 2000,
                                                              "message.timeout.ms": 2000,
                                                              "socket.timeout.ms": 2000})
    p.begin_transaction()
    for i in range(10):
        p.produce(topic, value=f"hung-{i}".encode(), partition=0)
    p.flush(30)
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    plain.produce(topic, value=b"after", partition=0)
    plain.flush(30)
    # Kafka looks for timed-out transactions every 10 s; allow for that.
    got = confluent_consume(broker.bootstrap, topic, [0], 1, timeout=60,
                            **{"isolation.level": "read_committed"})
    assert [r.value for r in got] == ["after"]
    with pytest.raises(KafkaException):
        p.commit_transaction(15)
