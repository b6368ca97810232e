"""kafkajs 2.2.4 (npm) with every codec (issue 4): tests/js/client_check.js creates the
topics with kafkajs's admin client, produces with acks=-1 and fetches back with
kafkajs's own Fetch (kafkajs has no consumer without a consumer group). The records
are then read again with confluent-kafka, so that a different client decodes the
batches kafkajs wrote."""

import pytest

from harness.clients import CODECS
from harness.external import check_codec, parse_run
from harness.util import TESTS_DIR, run, unique_topic

pytestmark = pytest.mark.produce_fetch

COUNT = 2000


@pytest.fixture(scope="module")
def kafkajs(broker):
    topics = {codec: unique_topic(f"kafkajs-{codec}") for codec in CODECS}
    r = run(["node", TESTS_DIR / "js" / "client_check.js", "--bootstrap", broker.bootstrap, "--count", COUNT,
             "--partitions", 4, "--timeout-ms", 60000, *[f"{c}={t}" for c, t in topics.items()]],
            timeout=300, env={"KAFKAJS_NO_PARTITIONER_WARNING": "1"})
    out = parse_run(r)
    out.topics = topics
    return out


def test_kafkajs_admin_creates_topics(kafkajs):
    assert kafkajs.admin and kafkajs.admin[0] == "ok", f"{kafkajs.admin}\n{kafkajs.result.describe()}"


@pytest.mark.parametrize("codec", CODECS)
def test_kafkajs_round_trip(kafkajs, broker, codec):
    check_codec(kafkajs, codec, COUNT, "kafkajs", bootstrap=broker.bootstrap, topic=kafkajs.topics[codec])
