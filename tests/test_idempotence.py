"""Idempotent producers (issue 6): InitProducerId, per-partition sequence checks over a
raw socket, real clients (confluent-kafka, the Java producer) behind a proxy that drops
produce responses so that they retry, and the acceptance check (100,000 records read
back exactly once)."""

import socket
import struct
import threading
import time

import pytest

from harness import wire
from harness.broker import HOST, free_port
from harness.clients import confluent_consume, confluent_producer

pytestmark = pytest.mark.transactions

API_INIT_PRODUCER_ID = 22
API_DESCRIBE_PRODUCERS = 61
COORDINATOR_LOAD_IN_PROGRESS = 14
COORDINATOR_NOT_AVAILABLE = 15
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47


# --------------------------------------------------------------------------- raw protocol

def init_producer_id(c, version=1, transactional_id=None, timeout_ms=60000):
    """InitProducerId v0/v1 (non-flexible): (error, producer id, epoch). Retries the
    retriable COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE (Kafka answers
    the first request so while it fetches its first block of producer ids)."""
    body = wire.Writer().string(transactional_id).int32(timeout_ms).getvalue()
    deadline = time.monotonic() + 30
    while True:
        r = c.call(API_INIT_PRODUCER_ID, version, body)
        r.int32()  # throttle
        got = r.int16(), r.int64(), r.int16()
        if got[0] not in (COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def idem_batch(pid, epoch, seq, n=1, tag="x"):
    return wire.encode_record_batch([(None, f"{tag}-{seq + i}".encode(), []) for i in range(n)],
                                    producer_id=pid, producer_epoch=epoch, base_sequence=seq)


def connect(broker):
    return wire.Connection(broker.host, broker.port, timeout=15)


def test_init_producer_id_gives_distinct_ids(broker):
    ids = set()
    with connect(broker) as c:
        for _ in range(5):
            err, pid, epoch = init_producer_id(c)
            assert err == 0, f"InitProducerId error {err}"
            assert pid >= 0 and epoch >= 0
            ids.add(pid)
    assert len(ids) == 5, f"producer ids were reused: {ids}"


def test_duplicate_batch_gets_the_original_offset(broker, new_topic):
    topic = new_topic()
    with connect(broker) as c:
        err, pid, epoch = init_producer_id(c)
        assert err == 0
        first = wire.produce(c, topic, 0, idem_batch(pid, epoch, 0, 3))
        second = wire.produce(c, topic, 0, idem_batch(pid, epoch, 3, 2))
        assert (first.error_code, first.base_offset) == (0, 0)
        assert (second.error_code, second.base_offset) == (0, 3)
        # Retries of either batch: success with the original offset, nothing appended.
        again = wire.produce(c, topic, 0, idem_batch(pid, epoch, 0, 3))
        assert (again.error_code, again.base_offset) == (0, 0), again
        again = wire.produce(c, topic, 0, idem_batch(pid, epoch, 3, 2))
        assert (again.error_code, again.base_offset) == (0, 3), again
        assert wire.fetch(c, topic, 0, 0).high_watermark == 5



def test_duplicate_on_log_append_time_topic_gets_the_original_append_time(broker, new_topic):
    topic = new_topic(configs={"message.timestamp.type": "LogAppendTime"})
    with connect(broker) as c:
        err, pid, epoch = init_producer_id(c)
        assert err == 0
        first = wire.produce(c, topic, 0, idem_batch(pid, epoch, 0, 2))
        assert first.error_code == 0 and first.log_append_time > 0, first
        time.sleep(0.05)  # so that "now" at the retry differs from the first append
        again = wire.produce(c, topic, 0, idem_batch(pid, epoch, 0, 2))
        assert (again.error_code, again.base_offset) == (0, first.base_offset), again
        assert again.log_append_time == first.log_append_time, (first, again)


def test_sequence_gap_is_out_of_order(broker, new_topic):
    topic = new_topic()
    with connect(broker) as c:
        err, pid, epoch = init_producer_id(c)
        assert err == 0
        assert wire.produce(c, topic, 0, idem_batch(pid, epoch, 0, 2)).error_code == 0
        gap = wire.produce(c, topic, 0, idem_batch(pid, epoch, 5))
        assert gap.error_code == OUT_OF_ORDER_SEQUENCE_NUMBER, gap
        assert wire.produce(c, topic, 0, idem_batch(pid, epoch, 2)).error_code == 0
        assert wire.fetch(c, topic, 0, 0).high_watermark == 3


def test_older_epoch_is_fenced_and_new_epoch_starts_at_zero(broker, new_topic):
    topic = new_topic()
    with connect(broker) as c:
        err, pid, _ = init_producer_id(c)
        assert err == 0
        assert wire.produce(c, topic, 0, idem_batch(pid, 5, 0, 2)).error_code == 0
        old = wire.produce(c, topic, 0, idem_batch(pid, 4, 2))
        assert old.error_code == INVALID_PRODUCER_EPOCH, old
        bad_start = wire.produce(c, topic, 0, idem_batch(pid, 6, 2))
        assert bad_start.error_code == OUT_OF_ORDER_SEQUENCE_NUMBER, bad_start
        ok = wire.produce(c, topic, 0, idem_batch(pid, 6, 0))
        assert ok.error_code == 0, ok
        old = wire.produce(c, topic, 0, idem_batch(pid, 5, 2))
        assert old.error_code == INVALID_PRODUCER_EPOCH, old
        assert wire.fetch(c, topic, 0, 0).high_watermark == 3


def test_describe_producers(broker, new_topic):
    topic = new_topic()
    with connect(broker) as c:
        err, pid, epoch = init_producer_id(c)
        assert err == 0
        assert wire.produce(c, topic, 0, idem_batch(pid, epoch, 0, 4)).error_code == 0
        # DescribeProducers v0 (flexible): topics [name, partitions [int32]].
        body = (wire.Writer().compact_array(
            [topic], lambda w, t: w.compact_string(t).compact_array([0], lambda ww, p: ww.int32(p)).tagged_fields())
            .tagged_fields().getvalue())
        r = c.call(API_DESCRIBE_PRODUCERS, 0, body, header_version=2, response_header_version=1)
        r.int32()  # throttle
        found = []

        def producer(rr):
            found.append((rr.int64(), rr.int32(), rr.int32(), rr.int64(), rr.int32(), rr.int64()))
            rr.tagged_fields()

        def partition(rr):
            idx, err_code, _msg = rr.int32(), rr.int16(), rr.compact_string()
            assert (idx, err_code) == (0, 0)
            rr.compact_array(producer)
            rr.tagged_fields()

        def topic_(rr):
            assert rr.compact_string() == topic
            rr.compact_array(partition)
            rr.tagged_fields()
        r.compact_array(topic_)
    assert len(found) == 1, found
    got_pid, got_epoch, last_seq, _ts, _coord, txn_start = found[0]
    assert (got_pid, got_epoch, last_seq, txn_start) == (pid, epoch, 3, -1)


# --------------------------------------------------------------------------- the proxy

class DroppingProxy:
    """Forwards Kafka connections to the broker; after every `every`-th Produce request
    it swallows the response and closes the connection, so the client never learns that
    the batch was written and sends it again."""

    def __init__(self, upstream_port, every=7, max_drops=50):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.every = every
        self.max_drops = max_drops
        self.produces = 0
        self.drops = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, self.port))
        self.sock.listen(64)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.closed = True
        self.sock.close()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((HOST, self.upstream_port), timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            doomed = set()  # correlation ids of Produce requests whose responses are dropped
            state = {"lock": threading.Lock()}
            threading.Thread(target=self._requests, args=(client, upstream, doomed, state),
                             daemon=True).start()
            threading.Thread(target=self._responses, args=(upstream, client, doomed, state),
                             daemon=True).start()

    @staticmethod
    def _read_frame(s):
        head = b""
        while len(head) < 4:
            chunk = s.recv(4 - len(head))
            if not chunk:
                return None
            head += chunk
        (size,) = struct.unpack(">i", head)
        body = bytearray()
        while len(body) < size:
            chunk = s.recv(min(1 << 20, size - len(body)))
            if not chunk:
                return None
            body += chunk
        return head + bytes(body)

    @staticmethod
    def _shut(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _requests(self, client, upstream, doomed, state):
        try:
            while True:
                f = self._read_frame(client)
                if f is None:
                    break
                api_key, _version, corr = struct.unpack(">hhi", f[4:12])
                if api_key == wire.API_PRODUCE:
                    with self.lock:
                        self.produces += 1
                        drop = self.produces % self.every == 0 and self.drops < self.max_drops
                        if drop:
                            self.drops += 1
                    if drop:
                        with state["lock"]:
                            doomed.add(corr)
                upstream.sendall(f)
        except OSError:
            pass
        self._shut(client, upstream)

    def _responses(self, upstream, client, doomed, state):
        try:
            while True:
                f = self._read_frame(upstream)
                if f is None:
                    break
                (corr,) = struct.unpack(">i", f[4:8])
                with state["lock"]:
                    drop = corr in doomed
                if drop:
                    break  # the batch is written; the client hears nothing and retries
                client.sendall(f)
        except OSError:
            pass
        self._shut(client, upstream)


@pytest.fixture
def proxied_broker(broker_factory):
    """A broker of the kind under test that advertises a dropping proxy in front of it."""
    b = broker_factory.new("idem", start=False)
    proxy = DroppingProxy(b.port)
    b.overrides["advertised.listeners"] = f"PLAINTEXT://{HOST}:{proxy.port}"
    b.start()
    yield b, proxy
    proxy.close()


def produce_idempotent(bootstrap, topic, n, **config):
    p = confluent_producer(bootstrap, **{"enable.idempotence": True, "linger.ms": 5,
                                         "batch.num.messages": 500, "retry.backoff.ms": 50,
                                         "message.timeout.ms": 120000, **config})
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    for i in range(n):
        while True:
            try:
                p.produce(topic, value=str(i).encode(), partition=0, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        if i % 1000 == 0:
            p.poll(0)
    left = p.flush(180)
    assert left == 0, f"{left} records undelivered"
    assert not errors, f"{len(errors)} delivery errors, first: {errors[0]}"


def check_exactly_once(broker, topic, n):
    # The log holds exactly n records (no duplicate was appended) ...
    with connect(broker) as c:
        hw = wire.fetch(c, topic, 0, 0, max_bytes=1, partition_max_bytes=1).high_watermark
    assert hw == n, f"the log holds {hw} records, {n} were produced"
    # ... and they are the n values, each once, in order.
    got = confluent_consume(broker.bootstrap, topic, [0], n, timeout=90, **{"fetch.wait.max.ms": 100})
    values = [int(r.value) for r in got]
    dups = len(values) - len(set(values))
    assert dups == 0, f"{dups} duplicates"
    assert len(values) == n, f"read {len(values)} records, expected {n}"
    assert values == list(range(n)), "records out of order or with gaps"
    assert [r.offset for r in got] == list(range(n)), "offsets are not dense"


def create(broker, topic):
    from conftest import create_topic
    from harness.clients import confluent_admin
    create_topic(confluent_admin(broker.bootstrap), topic, 1, broker=broker)


@pytest.mark.timeout(300)
def test_confluent_idempotent_producer_retries_leave_no_duplicates(proxied_broker):
    b, proxy = proxied_broker
    topic = "idem-confluent"
    create(b, topic)
    produce_idempotent(f"{HOST}:{proxy.port}", topic, 20_000)
    assert proxy.drops > 0, "the proxy dropped no produce response: nothing was retried"
    check_exactly_once(b, topic, 20_000)


@pytest.mark.acceptance
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_acceptance_100k_idempotent_records_exactly_once(proxied_broker):
    b, proxy = proxied_broker
    topic = "idem-acceptance"
    create(b, topic)
    proxy.every = 25
    produce_idempotent(f"{HOST}:{proxy.port}", topic, 100_000)
    assert proxy.drops > 0, "no response was dropped"
    check_exactly_once(b, topic, 100_000)


# --------------------------------------------------------------------------- restarts

def wait_serving(b, topic):
    from harness.util import wait_until

    def ok():
        try:
            with connect(b) as c:
                return wire.fetch(c, topic, 0, 0).error_code == 0
        except (OSError, wire.WireError):
            return False
    wait_until(ok, 60, interval=0.2, what=f"{topic}-0 served after the restart")


@pytest.mark.parametrize("how", ["crash", "clean"])
def test_producer_state_survives_a_restart(broker_factory, how):
    """After SIGKILL (state rebuilt from the log) or SIGTERM (from the snapshot), a retry
    of the producer's last batch still gets its original offset, the next sequence is
    accepted and a gap is refused; producer ids handed out before are not reused."""
    b = broker_factory.new("idem-restart")
    topic = "idem-restart"
    create(b, topic)
    with connect(b) as c:
        err, pid, epoch = init_producer_id(c)
        assert err == 0
        for seq in range(0, 30, 3):
            r = wire.produce(c, topic, 0, idem_batch(pid, epoch, seq, 3))
            assert (r.error_code, r.base_offset) == (0, seq), r
    if how == "crash":
        b.crash_restart()
    else:
        b.restart()
    wait_serving(b, topic)
    with connect(b) as c:
        again = wire.produce(c, topic, 0, idem_batch(pid, epoch, 27, 3))
        assert (again.error_code, again.base_offset) == (0, 27), again
        gap = wire.produce(c, topic, 0, idem_batch(pid, epoch, 31))
        assert gap.error_code == OUT_OF_ORDER_SEQUENCE_NUMBER, gap
        nxt = wire.produce(c, topic, 0, idem_batch(pid, epoch, 30))
        assert (nxt.error_code, nxt.base_offset) == (0, 30), nxt
        assert wire.fetch(c, topic, 0, 0).high_watermark == 31
        err, pid2, _ = init_producer_id(c)
        assert err == 0 and pid2 != pid, f"producer id {pid} handed out again"
