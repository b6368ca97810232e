"""kcat -L, and Apache Kafka's own kafka-topics.sh and kafka-configs.sh (Kafka 4.x jars
from Maven Central, run by tests/kafka_tool.sh) against the broker (issue 2).

The tools' output is parsed; the formats are Kafka's (4.3):
  kafka-topics --create       "Created topic <name>."
  kafka-topics --describe     "Topic: <name>\\tTopicId: <id>\\tPartitionCount: <n>\\tReplicationFactor: 1\\tConfigs: k=v,..."
                              then per partition "\\tTopic: <name>\\tPartition: <i>\\tLeader: 1\\tReplicas: 1\\tIsr: 1..."
  kafka-configs --describe    "Dynamic configs for topic <name> are:" then "  k=v sensitive=false synonyms={SOURCE:k=v, ...}"
  kafka-configs --alter       "Completed updating config for topic <name>."
"""

import json
import re

import pytest

from harness.util import kafka_tool, run, unique_topic, wait_until

pytestmark = pytest.mark.foundation

TOOL_TIMEOUT = 60


def topics(broker, *args):
    return kafka_tool("kafka-topics", "--bootstrap-server", broker.bootstrap, *args, timeout=TOOL_TIMEOUT)


def configs(broker, *args):
    return kafka_tool("kafka-configs", "--bootstrap-server", broker.bootstrap, *args, timeout=TOOL_TIMEOUT)


def parse_describe(out: str, name: str):
    """-> (header fields dict, configs dict, [partition field dicts])"""
    header, parts = None, []
    for line in out.splitlines():
        fields = dict(f.split(": ", 1) if ": " in f else (f.rstrip(":"), "")
                      for f in line.strip().split("\t") if f)
        if fields.get("Topic") != name:
            continue
        if "Partition" in fields:
            parts.append(fields)
        elif "PartitionCount" in fields:
            header = fields
    assert header is not None, f"no header line for {name} in:\n{out}"
    cfg = dict(kv.split("=", 1) for kv in header.get("Configs", "").split(",") if "=" in kv)
    return header, cfg, parts


def parse_configs(out: str):
    """kafka-configs --describe output -> {key: (value, [(source, synonym, value)])}"""
    result = {}
    for line in out.splitlines():
        m = re.match(r"^\s+([\w.\-]+)=(.*?) sensitive=(true|false) synonyms=\{(.*)\}\s*$", line)
        if m:
            syns = [tuple(re.match(r"(\w+):([\w.\-]+)=(.*)", s.strip()).groups())
                    for s in m.group(4).split(", ") if s.strip()]
            result[m.group(1)] = (m.group(2), syns)
    return result


# ----------------------------------------------------------------------------- kcat

def test_kcat_lists_broker_and_topics(broker, new_topic):
    name = new_topic(partitions=3)
    r = run(["kcat", "-L", "-b", broker.bootstrap, "-m", "10"], timeout=30).check("kcat -L")
    assert f"broker {broker.node_id} at {broker.bootstrap}" in r.stdout
    assert f'topic "{name}" with 3 partitions:' in r.stdout

    r = run(["kcat", "-L", "-J", "-b", broker.bootstrap, "-t", name, "-m", "10"], timeout=30).check("kcat -L -J")
    md = json.loads(r.stdout)
    assert md["brokers"] == [{"id": broker.node_id, "name": broker.bootstrap}]
    (t,) = md["topics"]
    assert t["topic"] == name and "error" not in t
    assert [(p["partition"], p["leader"]) for p in t["partitions"]] == [(i, broker.node_id) for i in range(3)]
    assert all(p["replicas"] == [{"id": broker.node_id}] and p["isrs"] == [{"id": broker.node_id}]
               for p in t["partitions"])


# ----------------------------------------------------------------------------- kafka-topics.sh

def test_kafka_topics_create_list_describe_alter_delete(broker):
    name = unique_topic("cli-topics")
    r = topics(broker, "--create", "--topic", name, "--partitions", "3", "--replication-factor", "1",
               "--config", "retention.ms=86400000", "--config", "cleanup.policy=compact").check("create")
    assert f"Created topic {name}." in r.stdout

    r = topics(broker, "--create", "--topic", name, "--partitions", "3")
    assert r.returncode != 0 and "already exists" in r.stdout + r.stderr, r.describe()

    wait_until(lambda: name in topics(broker, "--list").check("list").stdout.split(), 15, what="listed")

    r = topics(broker, "--describe", "--topic", name).check("describe")
    header, cfg, parts = parse_describe(r.stdout, name)
    assert header["PartitionCount"] == "3" and header["ReplicationFactor"] == "1"
    assert header.get("TopicId") and header["TopicId"] != "AAAAAAAAAAAAAAAAAAAAAA"
    assert cfg.get("retention.ms") == "86400000" and cfg.get("cleanup.policy") == "compact", header
    assert [(p["Partition"], p["Leader"], p["Replicas"], p["Isr"]) for p in parts] == \
        [(str(i), "1", "1", "1") for i in range(3)]

    r = topics(broker, "--alter", "--topic", name, "--partitions", "5").check("alter --partitions 5")

    def five():
        _, _, ps = parse_describe(topics(broker, "--describe", "--topic", name).check().stdout, name)
        return len(ps) == 5
    wait_until(five, 15, interval=0.5, what="5 partitions in describe")

    r = topics(broker, "--alter", "--topic", name, "--partitions", "2")
    assert r.returncode != 0 and "would not be an increase" in r.stdout + r.stderr or \
        r.returncode != 0 and "partition" in (r.stdout + r.stderr).lower(), r.describe()

    topics(broker, "--delete", "--topic", name).check("delete")
    wait_until(lambda: name not in topics(broker, "--list").check().stdout.split(), 15, interval=0.5,
               what="gone from --list")


# ----------------------------------------------------------------------------- kafka-configs.sh

def test_kafka_configs_describe_add_and_delete_topic_configs(broker, new_topic):
    name = new_topic(configs={"retention.ms": "86400000", "cleanup.policy": "compact"})
    ent = ["--entity-type", "topics", "--entity-name", name]

    r = configs(broker, *ent, "--describe").check("describe")
    assert f"Dynamic configs for topic {name} are:" in r.stdout
    got = parse_configs(r.stdout)
    assert set(got) == {"retention.ms", "cleanup.policy"}, r.stdout
    assert got["retention.ms"][0] == "86400000"
    assert got["retention.ms"][1][0] == ("DYNAMIC_TOPIC_CONFIG", "retention.ms", "86400000")

    r = configs(broker, *ent, "--alter", "--add-config", "retention.ms=5000,max.message.bytes=20000").check("alter")
    assert f"Completed updating config for topic {name}." in r.stdout

    def described():
        return parse_configs(configs(broker, *ent, "--describe").check().stdout)
    got = wait_until(lambda: (lambda g: g if g.get("max.message.bytes", ("",))[0] == "20000" else None)(described()),
                     15, interval=0.5, what="max.message.bytes=20000")
    assert got["retention.ms"][0] == "5000" and got["cleanup.policy"][0] == "compact"

    configs(broker, *ent, "--alter", "--delete-config", "cleanup.policy").check("delete-config")
    got = wait_until(lambda: (lambda g: g if "cleanup.policy" not in g else None)(described()),
                     15, interval=0.5, what="cleanup.policy gone from dynamic configs")
    assert set(got) == {"retention.ms", "max.message.bytes"}

    r = configs(broker, *ent, "--alter", "--add-config", "retention.ms=abc")
    assert r.returncode != 0 and "Invalid value abc for configuration retention.ms" in r.stdout + r.stderr, \
        r.describe()


def test_kafka_configs_describe_all_broker_configs(broker):
    r = configs(broker, "--entity-type", "brokers", "--entity-name", str(broker.node_id),
                "--describe", "--all").check("describe broker --all")
    assert f"All configs for broker {broker.node_id} are:" in r.stdout
    got = parse_configs(r.stdout)
    assert got["num.partitions"][0] == "1"
    assert got["num.partitions"][1][0] == ("STATIC_BROKER_CONFIG", "num.partitions", "1")
    assert got["auto.create.topics.enable"][0] == "true"
    assert got["log.retention.hours"][0] == "168"
