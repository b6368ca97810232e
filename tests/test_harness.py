"""Checks of the test harness itself (no broker): the hand-written wire codec and the
round-trip verifier must be right, or the other tests prove nothing."""

import pytest

from harness import wire
from harness.clients import Rec, make_records, verify_roundtrip

pytestmark = pytest.mark.harness


def test_crc32c_known_vectors():
    assert wire.crc32c(b"") == 0
    assert wire.crc32c(b"123456789") == 0xE3069283
    assert wire.crc32c(bytes(32)) == 0x8A9136AA


@pytest.mark.parametrize("v", [0, 1, -1, 63, -64, 64, 300, -300, 2**31 - 1, -2**31, 2**62])
def test_varint_round_trip(v):
    data = wire.Writer().varint(v).getvalue()
    r = wire.Reader(data)
    assert r.varint() == v and r.remaining() == 0


def test_uvarint_encoding_is_kafkas():
    assert wire.Writer().uvarint(300).getvalue() == b"\xac\x02"
    assert wire.Writer().varint(-1).getvalue() == b"\x01"


def test_reader_refuses_lengths_beyond_the_data():
    with pytest.raises(wire.WireError):
        wire.Reader(b"\x00\x05ab").string()
    with pytest.raises(wire.WireError):
        wire.Reader(b"\x00\x00\x10\x00").array(lambda r: r.int32())


def test_record_batch_round_trip():
    recs = [(b"k1", b"v1", []), (None, b"v2", [("h", b"x")]), (b"k3", None, [])]
    batch = wire.encode_record_batch(recs, timestamp_ms=1234)
    (b,) = wire.decode_record_batches(batch)
    assert b.crc_ok and b.magic == 2 and b.record_count == 3 and b.compression == "none"
    assert [(r.offset, r.key, r.value, r.headers) for r in b.records] == [
        (0, b"k1", b"v1", []), (1, None, b"v2", [("h", b"x")]), (2, b"k3", None, [])]
    assert b.records[0].timestamp == 1234
    corrupt = bytearray(batch)
    corrupt[-1] ^= 1
    assert not wire.decode_record_batches(bytes(corrupt))[0].crc_ok


def _recs(sent, order=None, partition=0):
    order = order or range(len(sent))
    return [Rec(sent[i][0], sent[i][1], partition, n) for n, i in enumerate(order)]


def test_verifier_accepts_a_good_round_trip():
    sent = make_records("x", 20, keys=0)
    verify_roundtrip(sent, _recs(sent))


@pytest.mark.parametrize("damage", ["missing", "duplicate", "reordered", "wrong_key", "key_split"])
def test_verifier_catches_damage(damage):
    sent = make_records("x", 20, keys=4)
    got = _recs(sent)
    if damage == "missing":
        got = got[:-1]
    elif damage == "duplicate":
        got = got + [Rec(got[0].key, got[0].value, 0, 99)]
    elif damage == "reordered":
        got = _recs(sent, order=[1, 0] + list(range(2, 20)))
    elif damage == "wrong_key":
        got[3] = Rec("nope", got[3].value, 0, got[3].offset)
    elif damage == "key_split":
        got[4] = Rec(got[4].key, got[4].value, 1, got[4].offset)
    with pytest.raises(AssertionError):
        verify_roundtrip(sent, got)
