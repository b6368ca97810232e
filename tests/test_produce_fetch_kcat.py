"""Produce and consume with kcat (Debian's, librdkafka 2.0.2) (issue 4): every codec,
keyed records over 4 partitions, read back with partition and offset."""

import pytest

from harness.clients import CODECS, Rec, make_records, verify_roundtrip
from harness.util import run

pytestmark = pytest.mark.produce_fetch


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_every_codec(broker, new_topic, codec):
    topic = new_topic(partitions=4)
    sent = make_records(f"kcat{codec}", 2000)
    data = "".join(f"{k}\t{v}\n" for k, v in sent)
    run(["kcat", "-P", "-b", broker.bootstrap, "-t", topic, "-K", "\t", "-z", codec,
         "-X", "acks=all", "-X", "linger.ms=5", "-X", "message.timeout.ms=30000"],
        input=data, timeout=60).check("kcat -P")
    r = run(["kcat", "-C", "-b", broker.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
             "-f", "%p\t%o\t%k\t%s\n", "-m", "30"], timeout=60).check("kcat -C")
    received = []
    for line in r.stdout.splitlines():
        p, o, k, v = line.split("\t", 3)
        received.append(Rec(k, v, int(p), int(o)))
    verify_roundtrip(sent, received, what=f"kcat {codec}")
    assert len({x.partition for x in received}) == 4
