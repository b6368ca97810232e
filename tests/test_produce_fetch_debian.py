"""Debian's own, older clients through /usr/bin/python3 (issue 4): python3-confluent-kafka
1.7 on librdkafka 2.0.2, and python3-kafka (kafka-python 2.0.2), each creating and
deleting a topic and producing and consuming with every codec."""

import sys

import pytest

from conftest import create_topic
from harness.clients import CODECS
from harness.external import check_codec, parse_run
from harness.util import TESTS_DIR, run, unique_topic

pytestmark = pytest.mark.produce_fetch

COUNT = 1000
SCRIPT = TESTS_DIR / "debian" / "client_check.py"


def debian_run(broker, admin, lib):
    topics = {codec: create_topic(admin, unique_topic(f"debian-{lib}-{codec}"), 4, broker=broker) for codec in CODECS}
    r = run(["/usr/bin/python3", SCRIPT, "--lib", lib, "--bootstrap", broker.bootstrap, "--count", COUNT,
             "--partitions", 4, "--timeout", 60, *[f"{c}={t}" for c, t in topics.items()]], timeout=240)
    out = parse_run(r)
    out.topics = topics
    return out


@pytest.fixture(scope="module")
def confluent_17(broker, admin):
    return debian_run(broker, admin, "confluent")


@pytest.fixture(scope="module")
def kafka_python_202(broker, admin):
    return debian_run(broker, admin, "kafka-python")


def test_debian_confluent_kafka_admin(confluent_17):
    assert confluent_17.version and "librdkafka" in confluent_17.version, confluent_17.result.describe()
    assert confluent_17.admin and confluent_17.admin[0] == "ok", confluent_17.admin


@pytest.mark.parametrize("codec", CODECS)
def test_debian_confluent_kafka_round_trip(confluent_17, codec):
    check_codec(confluent_17, codec, COUNT, f"Debian confluent-kafka ({confluent_17.version})")


def test_debian_kafka_python_admin(kafka_python_202):
    assert kafka_python_202.version and "kafka-python" in kafka_python_202.version, \
        kafka_python_202.result.describe()
    assert kafka_python_202.admin and kafka_python_202.admin[0] == "ok", kafka_python_202.admin


@pytest.mark.parametrize("codec", CODECS)
def test_debian_kafka_python_round_trip(kafka_python_202, codec):
    check_codec(kafka_python_202, codec, COUNT, f"Debian {kafka_python_202.version}")
