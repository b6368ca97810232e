"""Topics and configs survive a restart and a crash; SIGTERM stops the broker cleanly;
server.properties is validated at start-up (issue 2). Each test runs its own broker."""

import pytest
from confluent_kafka.admin import (AlterConfigOpType, ConfigEntry, ConfigResource,
                                   ConfigSource, NewPartitions, NewTopic, ResourceType)

from harness import wire
from harness.broker import BrokerError
from harness.clients import confluent_admin
from harness.util import unique_topic, wait_until

pytestmark = [pytest.mark.foundation, pytest.mark.slow]

T = 30
# A clean stop on SIGTERM: Moldau exits with 0; a JVM (Kafka) that ran its shutdown
# hooks exits with 143.
CLEAN_EXIT = {"moldau": 0, "kafka": 143}


def admin_for(b):
    return confluent_admin(b.bootstrap)


def snapshot(b, names):
    """What must survive: per topic (partition count, topic id, dynamic configs), and the cluster id."""
    a = admin_for(b)
    with wire.Connection(b.host, b.port) as c:
        md = wire.metadata_v12(c, names)
    out = {}
    for n in names:
        t = md.topics[n]
        if t.error_code:
            out[n] = ("error", t.error_code)
            continue
        res = ConfigResource(ResourceType.TOPIC, n)
        cfg = a.describe_configs([res], request_timeout=T)[res].result(T)
        dyn = {k: e.value for k, e in cfg.items() if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value}
        out[n] = (len(t.partitions), t.topic_id.hex(), dyn, all(p.leader == b.node_id for p in t.partitions))
    return md.cluster_id, out


def wait_ready_topics(b, names):
    """After a restart partitions may take a moment to get a leader again."""
    def ok():
        with wire.Connection(b.host, b.port) as c:
            md = wire.metadata_v12(c, names)
        return all(md.topics[n].error_code == 0 and all(p.leader == b.node_id for p in md.topics[n].partitions)
                   for n in names)
    wait_until(ok, 30, interval=0.2, what="topics led again after restart")


def make_state(b):
    """Creates, alters, grows and deletes topics; returns (names that must exist, deleted name)."""
    a = admin_for(b)
    x, y, gone = unique_topic("restart-x"), unique_topic("restart-y"), unique_topic("restart-gone")
    futs = a.create_topics([NewTopic(x, 3, 1, config={"retention.ms": "123456", "cleanup.policy": "compact"}),
                            NewTopic(y, 1, 1), NewTopic(gone, 2, 1)], operation_timeout=T, request_timeout=T)
    for f in futs.values():
        f.result(T)
    res = ConfigResource(ResourceType.TOPIC, x, incremental_configs=[
        ConfigEntry("max.message.bytes", "30000", incremental_operation=AlterConfigOpType.SET)])
    a.incremental_alter_configs([res], request_timeout=T)[res].result(T)
    a.create_partitions([NewPartitions(y, 4)], request_timeout=T)[y].result(T)
    wait_until(lambda: len(a.list_topics(gone, timeout=5).topics[gone].partitions) == 2, 10)
    a.delete_topics([gone], operation_timeout=T, request_timeout=T)[gone].result(T)

    def settled():
        _, s = snapshot(b, [x, y, gone])
        return (s[x][0] == 3 and s[x][2] == {"retention.ms": "123456", "cleanup.policy": "compact",
                                            "max.message.bytes": "30000"}
                and s[y][0] == 4 and s[gone] == ("error", wire.UNKNOWN_TOPIC_OR_PARTITION))
    wait_until(settled, 15, what="all changes visible")
    return [x, y], gone


def test_topics_and_configs_survive_a_restart(broker_factory, broker_kind):
    b = broker_factory.new("restart")
    names, gone = make_state(b)
    before = snapshot(b, names + [gone])

    code = b.stop()
    assert code == CLEAN_EXIT[broker_kind], f"SIGTERM should stop the broker cleanly, exit status was {code}"
    b.start()
    wait_ready_topics(b, names)
    after = snapshot(b, names + [gone])
    assert after == before


def test_topics_and_configs_survive_a_crash(broker_factory, broker_kind):
    """SIGKILL right after the admin calls were acknowledged: nothing acknowledged is lost.
    The broker also gets an unknown key in its config, which it must ignore and (Moldau
    only: Kafka 4.3 says nothing about unknown broker keys) warn about."""
    b = broker_factory.new("crash", {"moldau.test.unknown.key": "1"})
    names, gone = make_state(b)
    before = snapshot(b, names + [gone])
    b.kill()
    b.start()
    wait_ready_topics(b, names)
    assert snapshot(b, names + [gone]) == before
    if broker_kind == "moldau":
        assert "moldau.test.unknown.key" in b.log_tail(max_lines=100000), "unknown config keys are warned about"


def test_bad_config_value_is_refused_at_start_up(broker_factory):
    b = broker_factory.new("badconfig", {"num.partitions": "abc"}, start=False)
    with pytest.raises(BrokerError) as ei:
        b.start(timeout=60)
    assert not b.running()
    log = b.log_tail(max_lines=100000)
    assert "num.partitions" in log and "abc" in log, f"the error should name the key and the value:\n{ei.value}"
