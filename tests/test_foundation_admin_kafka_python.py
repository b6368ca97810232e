"""Topic administration with kafka-python's KafkaAdminClient (PyPI's newest, 3.x; the
Debian 2.0.2 build is covered by test_produce_fetch_debian.py) (issue 2)."""

import pytest
import kafka.errors as Errors
from kafka.admin import AlterConfigOp, ConfigResource, KafkaAdminClient

from harness.util import unique_topic, wait_until

pytestmark = pytest.mark.foundation


@pytest.fixture(scope="module")
def kp_admin(broker):
    a = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=20000,
                         client_id="moldau-test-kafka-python")
    yield a
    a.close()


def configs(kp_admin, name):
    return kp_admin.describe_configs([ConfigResource("TOPIC", name)], config_filter="all")["topic"][name]


def wait_config(kp_admin, name, key, value, source=None):
    def ok():
        c = configs(kp_admin, name).get(key)
        return c is not None and c["value"] == value and (source is None or c["config_source"] == source)
    wait_until(ok, 10, what=f"{name}: {key}={value} ({source})")


def partitions_of(kp_admin, name):
    (t,) = kp_admin.describe_topics([name])
    assert t["error_code"] == 0, t
    return sorted(p["partition_index"] for p in t["partitions"])


def test_create_list_describe_alter_add_partitions_delete(kp_admin, broker):
    name = unique_topic("kp-admin")
    res = kp_admin.create_topics({name: {"num_partitions": 3, "replication_factor": 1,
                                         "configs": {"retention.ms": "123456", "cleanup.policy": "compact"}}})
    assert [t["error_code"] for t in res["topics"]] == [0]
    wait_until(lambda: name in kp_admin.list_topics(), 10, what="topic listed")
    assert partitions_of(kp_admin, name) == [0, 1, 2]
    (t,) = kp_admin.describe_topics([name])
    assert all(p["leader_id"] == broker.node_id and p["replica_nodes"] == [broker.node_id]
               for p in t["partitions"])

    c = configs(kp_admin, name)
    assert (c["retention.ms"]["value"], c["retention.ms"]["config_source"]) == ("123456", "DYNAMIC_TOPIC_CONFIG")
    assert (c["cleanup.policy"]["value"], c["cleanup.policy"]["config_source"]) == ("compact", "DYNAMIC_TOPIC_CONFIG")
    assert (c["segment.bytes"]["value"], c["segment.bytes"]["config_source"]) == ("1073741824", "DEFAULT_CONFIG")
    modified = kp_admin.describe_configs([ConfigResource("TOPIC", name)])["topic"][name]
    assert set(modified) == {"retention.ms", "cleanup.policy"}, "only the two set configs are 'modified'"

    # IncrementalAlterConfigs: SET one, DELETE another
    out = kp_admin.alter_configs([ConfigResource("TOPIC", name, {
        "retention.ms": (AlterConfigOp.SET, "7200000"),
        "cleanup.policy": (AlterConfigOp.DELETE, None)})], incremental=True)
    assert out == {"topic": {name: "OK"}}
    wait_config(kp_admin, name, "retention.ms", "7200000", "DYNAMIC_TOPIC_CONFIG")
    wait_config(kp_admin, name, "cleanup.policy", "delete", "DEFAULT_CONFIG")

    # AlterConfigs (the legacy, whole-set request)
    out = kp_admin.alter_configs([ConfigResource("TOPIC", name, {"max.message.bytes": "30000"})],
                                 incremental=False)
    assert out == {"topic": {name: "OK"}}
    wait_config(kp_admin, name, "max.message.bytes", "30000", "DYNAMIC_TOPIC_CONFIG")

    # validate_only
    kp_admin.alter_configs([ConfigResource("TOPIC", name, {"retention.ms": "1000"})],
                           incremental=True, validate_only=True)
    assert configs(kp_admin, name)["retention.ms"]["value"] == "7200000"

    # CreatePartitions
    r = kp_admin.create_partitions({name: 5})
    assert [x.error_code for x in r.results] == [0]
    wait_until(lambda: partitions_of(kp_admin, name) == [0, 1, 2, 3, 4], 10, what="5 partitions")

    # DeleteTopics
    r = kp_admin.delete_topics([name])
    assert [t["error_code"] for t in r["topics"]] == [0]
    wait_until(lambda: name not in kp_admin.list_topics(), 10, what="topic gone")


def test_create_validate_only(kp_admin):
    name = unique_topic("kp-validate")
    res = kp_admin.create_topics({name: {"num_partitions": 2, "replication_factor": 1}}, validate_only=True)
    assert [t["error_code"] for t in res["topics"]] == [0]
    assert name not in kp_admin.list_topics()


@pytest.mark.parametrize("case,spec,error", [
    ("zero partitions", {"num_partitions": 0, "replication_factor": 1}, Errors.InvalidPartitionsError),
    ("bad config value", {"num_partitions": 1, "replication_factor": 1, "configs": {"retention.ms": "abc"}},
     Errors.InvalidConfigurationError),
    ("replication factor 3", {"num_partitions": 1, "replication_factor": 3}, Errors.InvalidReplicationFactorError),
    ("absent broker", {"assignments": {0: [42]}}, Errors.InvalidReplicationAssignmentError),
])
def test_create_refuses_bad_input(kp_admin, case, spec, error):
    name = unique_topic("kp-bad")
    with pytest.raises(error):
        kp_admin.create_topics({name: spec})
    res = kp_admin.create_topics({name: spec}, raise_errors=False)
    assert res["topics"][0]["error_code"] == error.errno, case
    assert name not in kp_admin.list_topics()


def test_create_existing_and_delete_absent(kp_admin):
    name = unique_topic("kp-exists")
    kp_admin.create_topics({name: {"num_partitions": 1, "replication_factor": 1}})
    with pytest.raises(Errors.TopicAlreadyExistsError):
        kp_admin.create_topics({name: {"num_partitions": 1, "replication_factor": 1}})
    kp_admin.delete_topics([name])
    with pytest.raises(Errors.UnknownTopicOrPartitionError):
        kp_admin.delete_topics([unique_topic("kp-absent")])


def test_create_partitions_refuses_a_decrease(kp_admin):
    name = unique_topic("kp-parts")
    kp_admin.create_topics({name: {"num_partitions": 3, "replication_factor": 1}})
    with pytest.raises(Errors.InvalidPartitionsError):
        kp_admin.create_partitions({name: 2})


def test_describe_cluster(kp_admin, broker):
    dc = kp_admin.describe_cluster()
    assert [(b["broker_id"], b["host"], b["port"]) for b in dc["brokers"]] == \
        [(broker.node_id, broker.host, broker.port)]
    assert dc["cluster_id"]
