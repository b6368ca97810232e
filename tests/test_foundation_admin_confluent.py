"""Topic administration with confluent-kafka's AdminClient (PyPI, librdkafka 2.x)
(issue 2: CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs,
AlterConfigs, IncrementalAlterConfigs, DescribeCluster, Metadata).

A broker may apply a change a moment after acknowledging it (Kafka's KRaft brokers
do), so reads after a change poll for a bounded time.
"""

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicCollection
from confluent_kafka.admin import (AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
                                   NewPartitions, NewTopic, ResourceType)

from harness import wire
from harness.util import unique_topic, wait_until

pytestmark = pytest.mark.foundation

T = 30  # seconds, for every admin call

# Kafka's defaults for a topic, which Moldau shares (a topic config not set on the topic
# nor in server.properties reads back as this value with source DEFAULT_CONFIG).
KAFKA_TOPIC_DEFAULTS = {
    "segment.bytes": "1073741824",
    "max.message.bytes": "1048588",
    "cleanup.policy": "delete",
    "retention.ms": "604800000",
    "retention.bytes": "-1",
    "compression.type": "producer",
    "message.timestamp.type": "CreateTime",
}


def topic_configs(admin, name):
    res = ConfigResource(ResourceType.TOPIC, name)
    return admin.describe_configs([res], request_timeout=T)[res].result(T)


def wait_config(admin, name, key, value, source=None):
    def ok():
        e = topic_configs(admin, name).get(key)
        return e is not None and e.value == value and (source is None or e.source == source.value)
    wait_until(ok, 10, what=f"{name}: {key}={value} ({source})")


def error_of(fut):
    with pytest.raises(KafkaException) as ei:
        fut.result(T)
    return ei.value.args[0]


def create(admin, topic: NewTopic, **kw):
    return admin.create_topics([topic], operation_timeout=T, request_timeout=T, **kw)[topic.topic]


def listed(admin):
    return admin.list_topics(timeout=T).topics


def test_create_with_partitions_and_configs_then_list_and_describe(admin, broker, topic_name):
    create(admin, NewTopic(topic_name, 3, 1, config={"retention.ms": "123456",
                                                      "cleanup.policy": "compact"})).result(T)
    t = wait_until(lambda: listed(admin).get(topic_name), 10, what="topic listed")
    assert t.error is None
    assert sorted(t.partitions) == [0, 1, 2]
    assert all(p.leader == broker.node_id and p.replicas == [broker.node_id] and p.isrs == [broker.node_id]
               for p in t.partitions.values())

    desc = admin.describe_topics(TopicCollection([topic_name]), request_timeout=T)[topic_name].result(T)
    assert desc.name == topic_name and len(desc.partitions) == 3
    assert str(desc.topic_id) and str(desc.topic_id) != "AAAAAAAAAAAAAAAAAAAAAA"

    cfg = topic_configs(admin, topic_name)
    assert cfg["retention.ms"].value == "123456"
    assert cfg["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert not cfg["retention.ms"].is_default
    assert cfg["cleanup.policy"].value == "compact"
    assert cfg["cleanup.policy"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    for key in ("segment.bytes", "max.message.bytes", "compression.type", "message.timestamp.type"):
        assert cfg[key].value == KAFKA_TOPIC_DEFAULTS[key], key
        assert cfg[key].source == ConfigSource.DEFAULT_CONFIG.value, key
        assert cfg[key].is_default, key


def test_create_uses_num_partitions_by_default(admin, topic_name):
    create(admin, NewTopic(topic_name)).result(T)  # partitions and replication factor: broker default
    t = wait_until(lambda: listed(admin).get(topic_name), 10, what="topic listed")
    assert sorted(t.partitions) == [0], "num.partitions=1 in server.properties"


def test_create_validate_only_creates_nothing(admin, topic_name):
    create(admin, NewTopic(topic_name, 2, 1, config={"retention.ms": "1000"}), validate_only=True).result(T)
    err = error_of(create(admin, NewTopic(topic_name, 2, 1, config={"retention.ms": "x"}), validate_only=True))
    assert err.code() == KafkaError.INVALID_CONFIG
    # Nothing was created: the name is still free.
    assert topic_name not in listed(admin)
    create(admin, NewTopic(topic_name, 2, 1)).result(T)
    assert sorted(wait_until(lambda: listed(admin).get(topic_name), 10).partitions) == [0, 1]


@pytest.mark.parametrize("case,topic,code", [
    ("zero partitions", lambda n: NewTopic(n, 0, 1), KafkaError.INVALID_PARTITIONS),
    ("bad config value", lambda n: NewTopic(n, 1, 1, config={"retention.ms": "abc"}), KafkaError.INVALID_CONFIG),
    ("bad enum value", lambda n: NewTopic(n, 1, 1, config={"cleanup.policy": "bogus"}), KafkaError.INVALID_CONFIG),
    ("unknown config", lambda n: NewTopic(n, 1, 1, config={"no.such.config": "1"}), KafkaError.INVALID_CONFIG),
    ("replication factor 3", lambda n: NewTopic(n, 1, 3), KafkaError.INVALID_REPLICATION_FACTOR),
    ("absent broker", lambda n: NewTopic(n, 1, replica_assignment=[[42]]), KafkaError.INVALID_REPLICA_ASSIGNMENT),
    ("invalid name", lambda n: NewTopic(n + "/x", 1, 1), KafkaError.TOPIC_EXCEPTION),
])
def test_create_refuses_bad_input(admin, topic_name, case, topic, code):
    nt = topic(topic_name)
    err = error_of(create(admin, nt))
    assert err.code() == code, f"{case}: got {err.name()} ({err.str()})"
    assert err.str(), "the broker should say why"
    assert nt.topic not in listed(admin)


def test_create_existing_topic_fails(admin, new_topic):
    name = new_topic(partitions=2)
    err = error_of(create(admin, NewTopic(name, 5, 1)))
    assert err.code() == KafkaError.TOPIC_ALREADY_EXISTS
    assert len(listed(admin)[name].partitions) == 2, "the existing topic is untouched"


def test_incremental_alter_configs_set_delete_and_validate_only(admin, new_topic):
    name = new_topic(configs={"cleanup.policy": "compact"})
    res = ConfigResource(ResourceType.TOPIC, name, incremental_configs=[
        ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("cleanup.policy", None, incremental_operation=AlterConfigOpType.DELETE)])
    admin.incremental_alter_configs([res], request_timeout=T)[res].result(T)
    wait_config(admin, name, "retention.ms", "7200000", ConfigSource.DYNAMIC_TOPIC_CONFIG)
    wait_config(admin, name, "cleanup.policy", "delete", ConfigSource.DEFAULT_CONFIG)

    # validate_only changes nothing
    res = ConfigResource(ResourceType.TOPIC, name, incremental_configs=[
        ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([res], validate_only=True, request_timeout=T)[res].result(T)
    assert topic_configs(admin, name)["retention.ms"].value == "7200000"

    # bad value, unknown key, absent topic
    for entry, code in [(ConfigEntry("retention.ms", "xyz", incremental_operation=AlterConfigOpType.SET),
                         KafkaError.INVALID_CONFIG),
                        (ConfigEntry("no.such.config", "1", incremental_operation=AlterConfigOpType.SET),
                         KafkaError.INVALID_CONFIG)]:
        res = ConfigResource(ResourceType.TOPIC, name, incremental_configs=[entry])
        assert error_of(admin.incremental_alter_configs([res], request_timeout=T)[res]).code() == code
    assert topic_configs(admin, name)["retention.ms"].value == "7200000"
    absent = ConfigResource(ResourceType.TOPIC, unique_topic("absent"), incremental_configs=[
        ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)])
    assert error_of(admin.incremental_alter_configs([absent], request_timeout=T)[absent]).code() == \
        KafkaError.UNKNOWN_TOPIC_OR_PART


def test_legacy_alter_configs_replaces_the_whole_set(admin, new_topic):
    name = new_topic(configs={"retention.ms": "123456", "cleanup.policy": "compact"})
    res = ConfigResource(ResourceType.TOPIC, name, set_config={"max.message.bytes": "20000"})
    with pytest.warns(DeprecationWarning):
        fut = admin.alter_configs([res], request_timeout=T)[res]
    fut.result(T)
    wait_config(admin, name, "max.message.bytes", "20000", ConfigSource.DYNAMIC_TOPIC_CONFIG)
    # AlterConfigs (non-incremental) sets the listed keys and resets every other one.
    cfg = topic_configs(admin, name)
    assert cfg["retention.ms"].value == KAFKA_TOPIC_DEFAULTS["retention.ms"]
    assert cfg["retention.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    assert cfg["cleanup.policy"].value == "delete"

    bad = ConfigResource(ResourceType.TOPIC, name, set_config={"max.message.bytes": "-x"})
    with pytest.warns(DeprecationWarning):
        fut = admin.alter_configs([bad], request_timeout=T)[bad]
    assert error_of(fut).code() == KafkaError.INVALID_CONFIG


def test_create_partitions(admin, new_topic):
    name = new_topic(partitions=2)
    admin.create_partitions([NewPartitions(name, 4)], validate_only=True, request_timeout=T)[name].result(T)
    assert len(listed(admin)[name].partitions) == 2, "validate_only adds nothing"
    admin.create_partitions([NewPartitions(name, 5)], request_timeout=T)[name].result(T)
    t = wait_until(lambda: (lambda t: t if len(t.partitions) == 5 else None)(listed(admin)[name]), 10,
                   what="5 partitions")
    assert all(p.leader >= 0 for p in t.partitions.values())
    for count in (5, 3):
        err = error_of(admin.create_partitions([NewPartitions(name, count)], request_timeout=T)[name])
        assert err.code() == KafkaError.INVALID_PARTITIONS, f"{count}: {err.name()}"
    absent = unique_topic("absent")
    err = error_of(admin.create_partitions([NewPartitions(absent, 3)], request_timeout=T)[absent])
    assert err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_delete_topics(admin, broker, new_topic):
    name = new_topic(partitions=2)
    with wire.Connection(broker.host, broker.port) as c:
        old_id = wire.metadata_v12(c, [name]).topics[name].topic_id
    admin.delete_topics([name], operation_timeout=T, request_timeout=T)[name].result(T)
    wait_until(lambda: name not in listed(admin), 10, what=f"{name} gone")
    err = error_of(admin.describe_topics(TopicCollection([name]), request_timeout=T)[name])
    assert err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    err = error_of(admin.delete_topics([name], request_timeout=T)[name])
    assert err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    # The name can be used again, for a new topic with a new id.
    create(admin, NewTopic(name, 1, 1)).result(T)
    wait_until(lambda: name in listed(admin), 10)
    with wire.Connection(broker.host, broker.port) as c:
        new_id = wire.metadata_v12(c, [name]).topics[name].topic_id
    assert new_id not in (old_id, bytes(16))


def test_broker_configs_describe_values_and_sources(admin, broker):
    res = ConfigResource(ResourceType.BROKER, str(broker.node_id))
    cfg = admin.describe_configs([res], request_timeout=T)[res].result(T)
    static = ConfigSource.STATIC_BROKER_CONFIG.value
    assert (cfg["num.partitions"].value, cfg["num.partitions"].source) == ("1", static)
    assert (cfg["auto.create.topics.enable"].value, cfg["auto.create.topics.enable"].source) == ("true", static)
    default = ConfigSource.DEFAULT_CONFIG.value
    assert (cfg["log.retention.hours"].value, cfg["log.retention.hours"].source) == ("168", default)
    assert (cfg["socket.request.max.bytes"].value, cfg["socket.request.max.bytes"].source) == ("104857600", default)
    assert (cfg["message.max.bytes"].value, cfg["message.max.bytes"].source) == ("1048588", default)


def test_describe_cluster(admin, broker):
    dc = admin.describe_cluster(request_timeout=T).result(T)
    assert [(n.id, n.host, n.port) for n in dc.nodes] == [(broker.node_id, broker.host, broker.port)]
    assert dc.controller is not None and dc.controller.id == broker.node_id
    with wire.Connection(broker.host, broker.port) as c:
        assert dc.cluster_id == wire.metadata(c, [], version=4).cluster_id
    assert dc.cluster_id
