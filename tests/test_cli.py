"""moldau's own CLI (docs/cli.md) against the broker under test: topic commands with
table and JSON output, produce and consume round trips with every codec, keys, headers,
partitions, start positions, --count/--timeout-ms, Ctrl-C, exit codes and error words."""

import json
import signal
import subprocess
import time

import pytest

from harness.util import run, unique_topic, wait_until

pytestmark = pytest.mark.produce_fetch

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


@pytest.fixture(scope="session")
def cli(pytestconfig, broker):
    """cli(*args, input=None, timeout=60) -> Result; runs `moldau ARGS -b <broker>`."""
    binary = pytestconfig.getoption("--moldau-bin")

    def call(*args, input=None, timeout=60):
        return run([binary, *args, "--bootstrap-server", broker.bootstrap], input=input,
                   timeout=timeout)
    call.binary = binary
    return call


def test_topic_lifecycle_table_and_json(cli):
    t = unique_topic("cli")
    r = cli("topic", "create", t, "--partitions", "3", "--config", "retention.ms=3600000").check()
    assert f"Created topic {t} with 3 partitions" in r.stdout
    r = cli("topic", "create", t, "--partitions", "3")
    assert r.returncode == 1 and "TOPIC_ALREADY_EXISTS" in r.stderr and "--if-not-exists" in r.stderr
    cli("topic", "create", t, "--if-not-exists").check()
    listed = json.loads(cli("topic", "list", "-o", "json").check().stdout)
    mine = [x for x in listed if x["name"] == t]
    assert mine and mine[0]["partitions"] == 3 and mine[0]["topic_id"]
    d = json.loads(cli("topic", "describe", t, "-o", "json").check().stdout)[0]
    assert [p["partition"] for p in d["partitions"]] == [0, 1, 2]
    assert all(p["leader"] is not None and p["isr"] for p in d["partitions"])
    assert d["configs"]["retention.ms"]["value"] == "3600000"
    assert d["configs"]["retention.ms"]["source"] == "DYNAMIC_TOPIC_CONFIG"
    cli("topic", "alter", t, "--config", "retention.ms=1000", "--config", "cleanup.policy=compact").check()
    cli("topic", "alter", t, "--delete-config", "cleanup.policy").check()
    d = json.loads(cli("topic", "describe", t, "-o", "json").check().stdout)[0]
    assert d["configs"]["retention.ms"]["value"] == "1000" and "cleanup.policy" not in d["configs"]
    r = cli("topic", "alter", t, "--config", "retention.ms=abc")
    assert r.returncode == 1 and "INVALID_CONFIG" in r.stderr
    r = cli("topic", "add-partitions", t, "--partitions", "2")
    assert r.returncode == 1 and "INVALID_PARTITIONS" in r.stderr
    cli("topic", "add-partitions", t, "--partitions", "5").check()
    wait_until(lambda: len(json.loads(cli("topic", "describe", t, "-o", "json").stdout)[0]["partitions"]) == 5,
               what="5 partitions")
    assert "PARTITION  LEADER" in cli("topic", "describe", t).check().stdout
    cli("topic", "delete", t).check()
    r = cli("topic", "delete", t)
    assert r.returncode == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in r.stderr and "--if-exists" in r.stderr
    cli("topic", "delete", t, "--if-exists").check()


def test_unreachable_broker_is_explained(pytestconfig):
    r = run([pytestconfig.getoption("--moldau-bin"), "topic", "list", "-b", "127.0.0.1:1"])
    assert r.returncode == 3
    assert "cannot connect to 127.0.0.1:1: connection refused" in r.stderr
    assert "make run" in r.stderr and "--bootstrap-server" in r.stderr


@pytest.mark.parametrize("codec", CODECS)
def test_produce_consume_round_trip(cli, codec):
    t = unique_topic(f"cli-{codec}")
    cli("topic", "create", t, "--partitions", "4").check()
    lines = [f"key{i % 50}:value {i}" for i in range(20000)]
    r = cli("produce", t, "--key-separator", ":", "--compression", codec, "--header", "h=1",
            "-o", "json", input="\n".join(lines) + "\n").check()
    summary = json.loads(r.stdout)
    assert summary["records"] == 20000 and summary["failed"] == 0
    r = cli("consume", t, "--from-beginning", "--count", "20000", "--format", "%p\t%o\t%k\t%v\t%h\n",
            timeout=120).check()
    got = [line.split("\t") for line in r.stdout.splitlines()]
    assert len(got) == 20000
    by_key = {}
    for p, o, k, v, h in got:
        assert h == "h=1"
        by_key.setdefault(k, []).append((int(p), int(o), int(v.split()[1])))
    for k, recs in by_key.items():
        assert len({p for p, _, _ in recs}) == 1, f"key {k} in several partitions"
        assert [n for _, _, n in sorted(recs, key=lambda x: x[1])] == sorted(n for _, _, n in recs)


def test_keys_land_where_kafkas_partitioner_puts_them(cli):
    # murmur2: k1 -> 0x64607d29 % 3 = 2, k2 -> 0x16adb7e1 % 3 = 0 (src/cli/partitioner_test.cc)
    t = unique_topic("cli-keys")
    cli("topic", "create", t, "--partitions", "3").check()
    cli("produce", t, "-K", ":", input="k1:a\nk2:b\n").check()
    out = cli("consume", t, "--from-beginning", "--count", "2", "--format", "%k=%p\n").check().stdout
    assert sorted(out.splitlines()) == ["k1=2", "k2=0"]


def test_start_positions_and_stop_conditions(cli):
    t = unique_topic("cli-pos")
    cli("topic", "create", t, "--partitions", "1").check()
    cli("produce", t, input="".join(f"{i}\n" for i in range(10))).check()
    def consume(*args):
        return cli("consume", t, "--timeout-ms", "1500", *args).check().stdout.split()
    assert consume("--offset", "7") == ["7", "8", "9"]
    assert consume("--offset=-2") == ["8", "9"]
    assert consume("--from-beginning", "--count", "3") == ["0", "1", "2"]
    assert consume("--from-end") == []
    assert consume("--from-time", str(int(time.time() * 1000) + 3600_000)) == []
    assert consume("--from-time", "2000-01-01T00:00:00Z", "--count", "1") == ["0"]
    r = cli("consume", t, "--offset", "1000", "--timeout-ms", "1000").check()
    assert "out of range" in r.stderr


def test_consume_waits_for_new_records_and_stops_on_ctrl_c(cli, broker):
    t = unique_topic("cli-live")
    cli("topic", "create", t).check()
    p = subprocess.Popen([cli.binary, "consume", t, "-b", broker.bootstrap, "--format", "%v\n"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        cli("produce", t, input="live\n").check()
        time.sleep(2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert out == "live\n"


def test_format_and_argument_errors(cli):
    t = unique_topic("cli-args")
    r = cli("consume", t, "--format", "%q")
    assert r.returncode == 2 and "%q" in r.stderr
    r = cli("consume", t, "--from-time", "yesterday")
    assert r.returncode == 2 and "ISO-8601" in r.stderr
    r = cli("consume", t, "--from-beginning", "--offset", "3")
    assert r.returncode != 0
