"""Running the client-check programs of other runtimes (Java, kafkajs, Debian's Python)
once per module and checking their per-codec results."""

from __future__ import annotations

from dataclasses import dataclass

from .clients import Rec, confluent_consume, make_records, parse_check_output, verify_roundtrip
from .util import Result


@dataclass
class CheckRun:
    result: Result
    admin: tuple | None
    produced: dict
    consumed: dict
    done: dict
    version: str | None = None


def parse_run(result: Result) -> CheckRun:
    admin, produced, consumed, done = parse_check_output(result.stdout)
    version = next((ln.split("\t", 2)[2] for ln in result.stdout.splitlines() if ln.startswith("VERSION\t")), None)
    return CheckRun(result, admin, produced, consumed, done, version)


def check_codec(run: CheckRun, codec: str, count: int, what: str, value_tag=None,
                bootstrap=None, topic=None, partitions=4):
    """The program reported success for `codec`, its records came back complete and in
    order, and (with bootstrap/topic) confluent-kafka reads the same records too."""
    assert codec in run.done, f"{what}: no result for {codec}\n{run.result.describe()}"
    status, detail = run.done[codec]
    assert status == "ok", f"{what} {codec}: {detail}\n--- stderr ---\n{run.result.stderr[-3000:]}"
    produced = run.produced[codec]
    consumed = run.consumed[codec]
    sent = [(r.key, r.value) for r in produced]
    assert len(sent) == count, f"{what} {codec}: {len(sent)} acknowledged of {count}"
    with_offsets = all(r.offset is not None for r in produced)
    verify_roundtrip(sent, consumed, produced if with_offsets else None, what=f"{what} {codec}")
    # 16 keys over the topic's partitions: all of them are used (a topic that was
    # auto-created with one partition instead would not do).
    used = {r.partition for r in consumed}
    assert used == set(range(partitions)), f"{what} {codec}: records on partitions {sorted(used)}"
    if bootstrap and topic:
        again = confluent_consume(bootstrap, topic, range(partitions), count, timeout=60)
        verify_roundtrip(sent, again, what=f"{what} {codec}, read back by confluent-kafka")
