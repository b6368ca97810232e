"""librdkafka from C++ (issue 4): tests/cpp/client_check.cc, built by CMake when
librdkafka's C++ API (`rdkafka++`, Debian's librdkafka-dev) is installed, produces keyed
records with each codec and acks=all to a 4-partition topic, reads them back with
RdKafka::KafkaConsumer (assign, no group membership) and checks content, headers,
delivery offsets, per-partition and per-key order; it exits non-zero on any mismatch.
Here we also check that the stored batches carry the codec the client used.

The program is found next to the broker binary under test
(`<dir of MOLDAU_BIN>/tests/cpp/moldau_cpp_client_check`), then in build/, or at
$MOLDAU_CPP_CLIENT_CHECK."""

import os
from pathlib import Path

import pytest

from harness import wire
from harness.clients import CODECS
from harness.util import REPO_DIR, run

pytestmark = pytest.mark.produce_fetch

NAME = "moldau_cpp_client_check"
COUNT = 2000
PARTITIONS = 4


def client_check_binary(pytestconfig) -> Path:
    candidates = []
    if os.environ.get("MOLDAU_CPP_CLIENT_CHECK"):
        candidates.append(Path(os.environ["MOLDAU_CPP_CLIENT_CHECK"]))
    candidates.append(Path(pytestconfig.getoption("--moldau-bin")).resolve().parent / "tests" / "cpp" / NAME)
    candidates.append(REPO_DIR / "build" / "tests" / "cpp" / NAME)
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    pytest.fail(f"{NAME} not built (looked at {', '.join(map(str, candidates))}): install librdkafka-dev "
                "(scripts/install-deps.sh test), re-run cmake and build")


@pytest.mark.timeout(240)
@pytest.mark.parametrize("codec", CODECS)
def test_cpp_client_round_trip_every_codec(broker, new_topic, pytestconfig, codec):
    binary = client_check_binary(pytestconfig)
    topic = new_topic(partitions=PARTITIONS)
    res = run([str(binary), broker.bootstrap, topic, codec, str(COUNT), str(PARTITIONS)], timeout=200)
    assert res.returncode == 0, f"C++ client check failed ({res.returncode}):\n{res.stdout}\n{res.stderr}"
    assert f"codec {codec}, {COUNT} records over {PARTITIONS} partitions" in res.stdout, res.stdout

    # Stored as sent: every batch carries the client's codec and a valid CRC.
    total = 0
    for p in range(PARTITIONS):
        with wire.Connection(broker.host, broker.port) as c:
            f = wire.fetch(c, topic, p, 0, max_bytes=8 << 20, partition_max_bytes=8 << 20)
        assert f.error_code == 0, f"partition {p}: fetch error {f.error_code}"
        batches = wire.decode_record_batches(f.records or b"")
        assert batches, f"partition {p}: no batches"
        assert {b.compression for b in batches} == {codec}, f"partition {p}"
        assert all(b.crc_ok for b in batches), f"partition {p}: bad CRC"
        assert sum(b.record_count for b in batches) == f.high_watermark, f"partition {p}: not all fetched"
        total += f.high_watermark
    assert total == COUNT
