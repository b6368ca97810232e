"""Issue 2's acceptance check, in one test on a broker of its own: two client libraries
create, describe, alter and delete topics (each checking the other's work), bad frames
and ApiVersions v99 are sent, the broker is restarted, and everything is as it was."""

import struct

import pytest
from confluent_kafka.admin import (AlterConfigOpType, ConfigEntry, ConfigResource,
                                   ConfigSource, NewTopic, ResourceType)
from kafka.admin import AlterConfigOp, ConfigResource as KpConfigResource, KafkaAdminClient

from harness import wire
from harness.clients import confluent_admin
from harness.util import unique_topic, wait_until

pytestmark = [pytest.mark.foundation, pytest.mark.acceptance, pytest.mark.slow]

T = 30


def cf_configs(a, name):
    res = ConfigResource(ResourceType.TOPIC, name)
    return a.describe_configs([res], request_timeout=T)[res].result(T)


def kp_configs(kp, name):
    return kp.describe_configs([KpConfigResource("TOPIC", name)], config_filter="all")["topic"][name]


def bad_frames(b):
    """Each bad input closes its own connection; ApiVersions v99 gets error 35."""
    for data in (struct.pack(">i", 200 * 1024 * 1024), struct.pack(">i", -1),
                 wire.request(9999, 0, 1, b""),
                 wire.request(wire.API_METADATA, 1, 2, wire.Writer().int32(3).string("x").getvalue())):
        with wire.Connection(b.host, b.port) as c:
            c.send(data)
            got, closed = c.read_until_closed(10)
            assert closed and got == b"", f"{data[:12]!r}...: expected a close, got {got[:40]!r} closed={closed}"
    with wire.Connection(b.host, b.port) as c:
        r = c.call(wire.API_API_VERSIONS, 99, wire.api_versions_body(3), header_version=2)
        av = wire.decode_api_versions(r, 0)
        assert av.error_code == wire.UNSUPPORTED_VERSION and wire.API_API_VERSIONS in av.api_keys
        assert wire.api_versions(c, 0).error_code == 0


def test_foundation_acceptance(broker_factory, broker_kind):
    b = broker_factory.new("acceptance")
    cf = confluent_admin(b.bootstrap)
    kp = KafkaAdminClient(bootstrap_servers=b.bootstrap, request_timeout_ms=20000)
    try:
        x, y = unique_topic("acc-x"), unique_topic("acc-y")

        # confluent-kafka creates x; kafka-python sees it, with its config.
        cf.create_topics([NewTopic(x, 3, 1, config={"retention.ms": "3600000"})],
                         operation_timeout=T, request_timeout=T)[x].result(T)
        wait_until(lambda: x in kp.list_topics(), 10, what="kafka-python lists x")
        assert kp_configs(kp, x)["retention.ms"]["value"] == "3600000"

        # kafka-python alters x; confluent-kafka sees the change.
        kp.alter_configs([KpConfigResource("TOPIC", x, {"max.message.bytes": (AlterConfigOp.SET, "50000")})],
                         incremental=True)
        wait_until(lambda: cf_configs(cf, x)["max.message.bytes"].value == "50000", 10,
                   what="confluent-kafka sees max.message.bytes=50000")

        # confluent-kafka alters x again; kafka-python sees it.
        res = ConfigResource(ResourceType.TOPIC, x, incremental_configs=[
            ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)])
        cf.incremental_alter_configs([res], request_timeout=T)[res].result(T)
        wait_until(lambda: kp_configs(kp, x)["retention.ms"]["config_source"] == "DEFAULT_CONFIG", 10,
                   what="kafka-python sees retention.ms back at its default")

        # kafka-python creates y; confluent-kafka deletes it; kafka-python sees it gone.
        kp.create_topics({y: {"num_partitions": 2, "replication_factor": 1}})
        wait_until(lambda: y in cf.list_topics(timeout=10).topics, 10, what="confluent-kafka lists y")
        cf.delete_topics([y], operation_timeout=T, request_timeout=T)[y].result(T)
        wait_until(lambda: y not in kp.list_topics(), 10, what="kafka-python sees y deleted")

        bad_frames(b)
    finally:
        kp.close()

    code = b.stop()
    assert code == {"moldau": 0, "kafka": 143}[broker_kind], f"exit status {code} after SIGTERM"
    b.start()
    cf = confluent_admin(b.bootstrap)

    def after_restart():
        t = cf.list_topics(timeout=10).topics
        return x in t and len(t[x].partitions) == 3 and all(p.leader == b.node_id for p in t[x].partitions.values()) \
            and y not in t
    wait_until(after_restart, 30, what="x with 3 led partitions and no y after the restart")
    cfg = cf_configs(cf, x)
    assert (cfg["max.message.bytes"].value, cfg["max.message.bytes"].source) == \
        ("50000", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
    assert cfg["retention.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    bad_frames(b)
