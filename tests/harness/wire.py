"""A small, strict, hand-written Kafka wire codec for raw-socket tests.

Only what the tests need: primitive types, request/response headers, frames,
ApiVersions (v0-v3), Metadata (v1, v4), Produce (v3, v8), Fetch (v4) and the v2
record batch (with CRC-32C). Decoding checks every length against the bytes that
remain and raises WireError on anything malformed.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

# Error codes the tests name.
NONE = 0
OFFSET_OUT_OF_RANGE = 1
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35
INVALID_REQUEST = 42

API_PRODUCE = 0
API_FETCH = 1
API_LIST_OFFSETS = 2
API_METADATA = 3
API_API_VERSIONS = 18

CLIENT_ID = "moldau-wire-test"


class WireError(Exception):
    pass


# --------------------------------------------------------------------------- crc32c

def _make_crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _make_crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC32C_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# --------------------------------------------------------------------------- encoding

class Writer:
    def __init__(self):
        self.parts: list[bytes] = []

    def raw(self, b: bytes):
        self.parts.append(bytes(b))
        return self

    def int8(self, v):
        return self.raw(struct.pack(">b", v))

    def int16(self, v):
        return self.raw(struct.pack(">h", v))

    def int32(self, v):
        return self.raw(struct.pack(">i", v))

    def uint32(self, v):
        return self.raw(struct.pack(">I", v))

    def int64(self, v):
        return self.raw(struct.pack(">q", v))

    def boolean(self, v):
        return self.int8(1 if v else 0)

    def uvarint(self, v):
        if v < 0:
            raise ValueError("uvarint must be >= 0")
        out = bytearray()
        while True:
            b = v & 0x7F
            v >>= 7
            if v:
                out.append(b | 0x80)
            else:
                out.append(b)
                return self.raw(bytes(out))

    def varint(self, v):
        return self.uvarint((v << 1) ^ (v >> 63))

    def string(self, s):
        if s is None:
            return self.int16(-1)
        b = s.encode() if isinstance(s, str) else s
        return self.int16(len(b)).raw(b)

    def compact_string(self, s):
        if s is None:
            return self.uvarint(0)
        b = s.encode() if isinstance(s, str) else s
        return self.uvarint(len(b) + 1).raw(b)

    def bytes_(self, b):
        if b is None:
            return self.int32(-1)
        return self.int32(len(b)).raw(b)

    def array(self, items, fn):
        if items is None:
            return self.int32(-1)
        self.int32(len(items))
        for it in items:
            fn(self, it)
        return self

    def compact_array(self, items, fn):
        if items is None:
            return self.uvarint(0)
        self.uvarint(len(items) + 1)
        for it in items:
            fn(self, it)
        return self

    def tagged_fields(self, fields=None):
        """fields: list of (tag, bytes) pairs; empty means no tagged fields."""
        fields = fields or []
        self.uvarint(len(fields))
        for tag, data in fields:
            self.uvarint(tag).uvarint(len(data)).raw(data)
        return self

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class Reader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n) -> bytes:
        if n < 0 or n > self.remaining():
            raise WireError(f"need {n} bytes at {self.pos}, {self.remaining()} remain")
        b = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return b

    def _unpack(self, fmt, n):
        return struct.unpack(fmt, self.take(n))[0]

    def int8(self):
        return self._unpack(">b", 1)

    def int16(self):
        return self._unpack(">h", 2)

    def int32(self):
        return self._unpack(">i", 4)

    def uint32(self):
        return self._unpack(">I", 4)

    def int64(self):
        return self._unpack(">q", 8)

    def boolean(self):
        return self.int8() != 0

    def uvarint(self):
        shift = 0
        value = 0
        while True:
            if shift > 63:
                raise WireError("varint too long")
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def varint(self):
        v = self.uvarint()
        return (v >> 1) ^ -(v & 1)

    def string(self):
        n = self.int16()
        return None if n < 0 else self.take(n).decode()

    def compact_string(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def bytes_(self):
        n = self.int32()
        return None if n < 0 else self.take(n)

    def array(self, fn):
        n = self.int32()
        if n < 0:
            return None
        if n > self.remaining():
            raise WireError(f"array of {n} with {self.remaining()} bytes left")
        return [fn(self) for _ in range(n)]

    def compact_array(self, fn):
        n = self.uvarint()
        if n == 0:
            return None
        n -= 1
        if n > self.remaining():
            raise WireError(f"array of {n} with {self.remaining()} bytes left")
        return [fn(self) for _ in range(n)]

    def tagged_fields(self):
        out = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            out[tag] = self.take(self.uvarint())
        return out


# --------------------------------------------------------------------------- framing

def request_header(api_key, api_version, correlation_id, header_version=1,
                   client_id=CLIENT_ID, tagged_fields=None) -> bytes:
    w = Writer().int16(api_key).int16(api_version).int32(correlation_id).string(client_id)
    if header_version >= 2:
        w.tagged_fields(tagged_fields)
    return w.getvalue()


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def request(api_key, api_version, correlation_id, body: bytes, header_version=1, **kw) -> bytes:
    return frame(request_header(api_key, api_version, correlation_id, header_version, **kw) + body)


class Connection:
    """A blocking socket with a deadline on every call."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.next_correlation_id = 1

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def recv_exact(self, n) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)

    def recv_frame(self) -> bytes:
        (size,) = struct.unpack(">i", self.recv_exact(4))
        if size < 4 or size > 256 * 1024 * 1024:
            raise WireError(f"bad response frame size {size}")
        return self.recv_exact(size)

    def call(self, api_key, api_version, body: bytes, header_version=1,
             response_header_version=0, **kw):
        """Sends one request and returns a Reader positioned at the response body."""
        cid = self.next_correlation_id
        self.next_correlation_id += 1
        self.send(request(api_key, api_version, cid, body, header_version, **kw))
        return self.read_response(cid, response_header_version)

    def read_response(self, correlation_id, response_header_version=0) -> Reader:
        r = Reader(self.recv_frame())
        got = r.int32()
        if got != correlation_id:
            raise WireError(f"correlation id {got}, expected {correlation_id}")
        if response_header_version >= 1:
            r.tagged_fields()
        return r

    def read_until_closed(self, timeout=10.0):
        """Reads until the peer closes or `timeout` passes.
        Returns (bytes received, True if the peer closed the connection)."""
        deadline = time.monotonic() + timeout
        got = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(got), False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return bytes(got), True
            if not chunk:
                return bytes(got), True
            got += chunk


# --------------------------------------------------------------------------- ApiVersions

@dataclass
class ApiVersionsResponse:
    error_code: int
    api_keys: dict  # key -> (min, max)
    throttle_time_ms: int = 0
    tagged: dict = field(default_factory=dict)


def api_versions_body(version, software_name="moldau-tests", software_version="1.0",
                      tagged_fields=None) -> bytes:
    if version < 3:
        return b""
    return (Writer().compact_string(software_name).compact_string(software_version)
            .tagged_fields(tagged_fields).getvalue())


def decode_api_versions(r: Reader, version) -> ApiVersionsResponse:
    """ApiVersions responses use response header v0 at every version; an error
    response to an unsupported version is encoded as v0 (KIP-511)."""
    error = r.int16()
    keys = {}
    if version >= 3:
        def one(rr):
            k, lo, hi = rr.int16(), rr.int16(), rr.int16()
            rr.tagged_fields()
            keys[k] = (lo, hi)
        r.compact_array(one)
        throttle = r.int32()
        tagged = r.tagged_fields()
        return ApiVersionsResponse(error, keys, throttle, tagged)

    def one(rr):
        k, lo, hi = rr.int16(), rr.int16(), rr.int16()
        keys[k] = (lo, hi)
    r.array(one)
    throttle = r.int32() if version >= 1 and r.remaining() >= 4 else 0
    return ApiVersionsResponse(error, keys, throttle)


def api_versions(conn: Connection, version=0) -> ApiVersionsResponse:
    header_version = 2 if version >= 3 else 1
    r = conn.call(API_API_VERSIONS, version, api_versions_body(version), header_version)
    return decode_api_versions(r, version)


# --------------------------------------------------------------------------- Metadata

@dataclass
class Partition:
    error_code: int
    index: int
    leader: int
    replicas: list
    isr: list


@dataclass
class Topic:
    error_code: int
    name: str
    is_internal: bool
    partitions: list


@dataclass
class MetadataResponse:
    brokers: dict  # node_id -> (host, port, rack)
    controller_id: int
    topics: dict  # name -> Topic
    cluster_id: str | None = None


def metadata_body(version, topics=None, allow_auto_topic_creation=True) -> bytes:
    w = Writer().array(topics, lambda ww, t: ww.string(t))
    if version >= 4:
        w.boolean(allow_auto_topic_creation)
    return w.getvalue()


def decode_metadata(r: Reader, version) -> MetadataResponse:
    if version not in (1, 4):
        raise ValueError("only Metadata v1 and v4 are decoded")
    if version >= 3:
        r.int32()  # throttle_time_ms
    brokers = {}

    def broker(rr):
        node, host, port, rack = rr.int32(), rr.string(), rr.int32(), rr.string()
        brokers[node] = (host, port, rack)
    r.array(broker)
    cluster_id = r.string() if version >= 2 else None
    controller = r.int32()

    def partition(rr):
        err, idx, leader = rr.int16(), rr.int32(), rr.int32()
        replicas = rr.array(lambda x: x.int32())
        isr = rr.array(lambda x: x.int32())
        return Partition(err, idx, leader, replicas, isr)

    def topic(rr):
        err, name, internal = rr.int16(), rr.string(), rr.boolean()
        parts = rr.array(partition)
        return Topic(err, name, internal, sorted(parts, key=lambda p: p.index))

    topics = {t.name: t for t in r.array(topic)}
    return MetadataResponse(brokers, controller, topics, cluster_id)


def metadata(conn: Connection, topics=None, version=1, allow_auto_topic_creation=True):
    r = conn.call(API_METADATA, version, metadata_body(version, topics, allow_auto_topic_creation))
    return decode_metadata(r, version)


# --------------------------------------------------------------------------- record batches

COMPRESSION_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
COMPRESSION_IDS = {v: k for k, v in COMPRESSION_NAMES.items()}


def encode_record_batch(records, base_offset=0, timestamp_ms=None, attributes=0,
                        producer_id=-1, producer_epoch=-1, base_sequence=-1) -> bytes:
    """records: list of (key, value, headers) with bytes or None; headers a list of
    (str, bytes). Uncompressed magic-2 batch."""
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    body = Writer()
    for i, (key, value, headers) in enumerate(records):
        rec = Writer().int8(0).varint(0).varint(i)
        if key is None:
            rec.varint(-1)
        else:
            rec.varint(len(key)).raw(key)
        if value is None:
            rec.varint(-1)
        else:
            rec.varint(len(value)).raw(value)
        rec.varint(len(headers or []))
        for hk, hv in headers or []:
            hkb = hk.encode()
            rec.varint(len(hkb)).raw(hkb)
            if hv is None:
                rec.varint(-1)
            else:
                rec.varint(len(hv)).raw(hv)
        rb = rec.getvalue()
        body.varint(len(rb)).raw(rb)
    after_crc = (Writer().int16(attributes).int32(len(records) - 1).int64(ts).int64(ts)
                 .int64(producer_id).int16(producer_epoch).int32(base_sequence)
                 .int32(len(records)).raw(body.getvalue()).getvalue())
    crc = crc32c(after_crc)
    # batchLength counts from partitionLeaderEpoch to the end.
    batch_length = 4 + 1 + 4 + len(after_crc)
    return (Writer().int64(base_offset).int32(batch_length).int32(-1).int8(2).uint32(crc)
            .raw(after_crc).getvalue())


@dataclass
class Record:
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list


@dataclass
class RecordBatch:
    base_offset: int
    length: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    record_count: int
    records: list | None  # decoded only when uncompressed
    crc_ok: bool

    @property
    def compression(self) -> str:
        return COMPRESSION_NAMES.get(self.attributes & 7, f"unknown({self.attributes & 7})")

    @property
    def timestamp_type(self) -> str:
        return "LogAppendTime" if self.attributes & 8 else "CreateTime"


def decode_record_batches(data: bytes) -> list:
    """Decodes the complete batches in `data` (a trailing partial batch is ignored,
    as fetch responses may end with one)."""
    out = []
    r = Reader(data)
    while r.remaining() >= 12:
        start = r.pos
        base_offset = r.int64()
        length = r.int32()
        if length > r.remaining():
            break
        body = Reader(r.take(length))
        body.int32()  # partition leader epoch
        magic = body.int8()
        if magic != 2:
            raise WireError(f"magic {magic} at offset {base_offset}")
        crc = body.uint32()
        crc_ok = crc32c(bytes(body.data[body.pos:])) == crc
        attributes = body.int16()
        last_offset_delta = body.int32()
        base_ts = body.int64()
        max_ts = body.int64()
        producer_id = body.int64()
        body.int16()
        body.int32()
        count = body.int32()
        records = None
        if attributes & 7 == 0:
            records = []
            for _ in range(count):
                rec = Reader(body.take(body.varint()))
                rec.int8()
                ts_delta = rec.varint()
                off_delta = rec.varint()
                klen = rec.varint()
                key = None if klen < 0 else rec.take(klen)
                vlen = rec.varint()
                value = None if vlen < 0 else rec.take(vlen)
                headers = []
                for _ in range(rec.varint()):
                    hk = rec.take(rec.varint()).decode()
                    hl = rec.varint()
                    headers.append((hk, None if hl < 0 else rec.take(hl)))
                records.append(Record(base_offset + off_delta, base_ts + ts_delta, key, value, headers))
        out.append(RecordBatch(base_offset, length, magic, crc, attributes, last_offset_delta,
                               base_ts, max_ts, producer_id, count, records, crc_ok))
        assert r.pos == start + 12 + length
    return out


# --------------------------------------------------------------------------- Produce

@dataclass
class ProducePartitionResponse:
    index: int
    error_code: int
    base_offset: int
    log_append_time: int
    log_start_offset: int = -1
    record_errors: list = field(default_factory=list)
    error_message: str | None = None


def produce_body(topic, partition, batch: bytes, acks=-1, timeout_ms=10000) -> bytes:
    return (Writer().string(None).int16(acks).int32(timeout_ms)
            .array([topic], lambda w, t: w.string(t).array(
                [partition], lambda ww, p: ww.int32(p).bytes_(batch)))
            .getvalue())


def decode_produce(r: Reader, version) -> dict:
    """Returns {(topic, partition): ProducePartitionResponse}. Versions 3-8."""
    out = {}

    def part(rr, topic):
        idx, err, base = rr.int32(), rr.int16(), rr.int64()
        lat = rr.int64() if version >= 2 else -1
        lso = rr.int64() if version >= 5 else -1
        rec_errors, msg = [], None
        if version >= 8:
            rec_errors = rr.array(lambda x: (x.int32(), x.string())) or []
            msg = rr.string()
        out[(topic, idx)] = ProducePartitionResponse(idx, err, base, lat, lso, rec_errors, msg)

    def topic(rr):
        name = rr.string()
        rr.array(lambda x: part(x, name))
    r.array(topic)
    if version >= 1:
        r.int32()  # throttle (v1+)
    return out


def produce(conn: Connection, topic, partition, batch: bytes, version=8, acks=-1, timeout_ms=10000):
    r = conn.call(API_PRODUCE, version, produce_body(topic, partition, batch, acks, timeout_ms))
    return decode_produce(r, version)[(topic, partition)]


# --------------------------------------------------------------------------- Fetch

@dataclass
class FetchPartitionResponse:
    index: int
    error_code: int
    high_watermark: int
    last_stable_offset: int
    records: bytes | None


def fetch_body(topic, partition, offset, max_wait_ms=0, min_bytes=1, max_bytes=1 << 20,
               partition_max_bytes=1 << 20, isolation_level=0) -> bytes:
    return (Writer().int32(-1).int32(max_wait_ms).int32(min_bytes).int32(max_bytes)
            .int8(isolation_level)
            .array([topic], lambda w, t: w.string(t).array(
                [partition], lambda ww, p: ww.int32(p).int64(offset).int32(partition_max_bytes)))
            .getvalue())


def fetch(conn: Connection, topic, partition, offset, **kw) -> FetchPartitionResponse:
    """Fetch v4 (the version kafka-python 2.0.2 sends)."""
    r = conn.call(API_FETCH, 4, fetch_body(topic, partition, offset, **kw))
    r.int32()  # throttle
    out = {}

    def part(rr, name):
        idx, err, hw, lso = rr.int32(), rr.int16(), rr.int64(), rr.int64()
        rr.array(lambda x: (x.int64(), x.int64()))
        out[(name, idx)] = FetchPartitionResponse(idx, err, hw, lso, rr.bytes_())

    def topic_(rr):
        name = rr.string()
        rr.array(lambda x: part(x, name))
    r.array(topic_)
    return out[(topic, partition)]


# --------------------------------------------------------------------------- Metadata v12 (flexible)

@dataclass
class FlexTopic:
    error_code: int
    name: str | None
    topic_id: bytes
    is_internal: bool
    partitions: list  # [Partition]


def metadata_v12_body(topics=None, allow_auto_topic_creation=False, tagged_fields=None,
                      topic_tagged_fields=None) -> bytes:
    w = Writer()
    w.compact_array(topics, lambda ww, t: ww.raw(bytes(16)).compact_string(t)
                    .tagged_fields(topic_tagged_fields))
    w.boolean(allow_auto_topic_creation).boolean(False)
    return w.tagged_fields(tagged_fields).getvalue()


def decode_metadata_v12(r: Reader) -> MetadataResponse:
    r.int32()  # throttle
    brokers = {}

    def broker(rr):
        node, host, port, rack = rr.int32(), rr.compact_string(), rr.int32(), rr.compact_string()
        rr.tagged_fields()
        brokers[node] = (host, port, rack)
    r.compact_array(broker)
    cluster_id = r.compact_string()
    controller = r.int32()

    def ints(rr):
        return rr.compact_array(lambda x: x.int32()) or []

    def partition(rr):
        err, idx, leader = rr.int16(), rr.int32(), rr.int32()
        rr.int32()  # leader epoch
        replicas, isr = ints(rr), ints(rr)
        ints(rr)  # offline replicas
        rr.tagged_fields()
        return Partition(err, idx, leader, replicas, isr)

    def topic(rr):
        err, name, tid, internal = rr.int16(), rr.compact_string(), rr.take(16), rr.boolean()
        parts = rr.compact_array(partition) or []
        rr.int32()  # topic authorized operations
        rr.tagged_fields()
        return FlexTopic(err, name, tid, internal, sorted(parts, key=lambda p: p.index))

    topics = {t.name: t for t in (r.compact_array(topic) or [])}
    r.tagged_fields()
    return MetadataResponse(brokers, controller, topics, cluster_id)


def metadata_v12(conn: Connection, topics=None, **kw) -> MetadataResponse:
    r = conn.call(API_METADATA, 12, metadata_v12_body(topics, **kw), header_version=2,
                  response_header_version=1)
    return decode_metadata_v12(r)
