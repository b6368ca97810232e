"""Debian's own Kafka clients against a broker: run with /usr/bin/python3, which sees
Debian's python3-confluent-kafka (1.7, on librdkafka 2.0.2) and python3-kafka (2.0.2),
not the test venv. Stdlib only besides the client under test.

Usage: /usr/bin/python3 client_check.py --lib confluent|kafka-python --bootstrap HOST:PORT
         [--count N] [--partitions P] [--timeout S] codec=topic ...
The topics must exist with P partitions. Prints tab-separated lines (see
tests/harness/clients.py parse_check_output):
  VERSION  lib  version-string
  ADMIN    ok|fail  detail        (create, describe and delete a scratch topic)
  P        codec  partition  offset  key  value
  C        codec  partition  offset  key  value  timestamp-type
  DONE     codec  ok|fail  detail
"""

import argparse
import sys
import time
import uuid

TS_TYPES = {0: "CreateTime", 1: "LogAppendTime"}


def out(*fields):
    sys.stdout.write("\t".join(str(f) for f in fields) + "\n")


def value(codec, i):
    return f"{codec}-{i:08d}-" + "moldau debian client check " * (1 + i % 7)


# ----------------------------------------------------------------------------- confluent

def confluent_version():
    import confluent_kafka
    return f"confluent-kafka {confluent_kafka.version()[0]} librdkafka {confluent_kafka.libversion()[0]}"


def confluent_admin(bootstrap, timeout):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": bootstrap})
    name = f"debian-scratch-{uuid.uuid4().hex[:8]}"
    a.create_topics([NewTopic(name, 2, 1)])[name].result(timeout)
    deadline = time.monotonic() + timeout
    while True:
        md = a.list_topics(timeout=timeout)
        t = md.topics.get(name)
        if t is not None and t.error is None and len(t.partitions) == 2:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} not listed with 2 partitions")
        time.sleep(0.1)
    a.delete_topics([name])[name].result(timeout)
    return f"created, listed and deleted {name}"


def confluent_roundtrip(bootstrap, codec, topic, count, partitions, timeout):
    from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "compression.type": codec,
                  "linger.ms": 5, "message.timeout.ms": int(timeout * 1000)})
    delivered, errors = {}, []

    def cb(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered[msg.value().decode()] = (msg.partition(), msg.offset())

    deadline = time.monotonic() + timeout
    for i in range(count):
        while True:
            try:
                p.produce(topic, key=f"k{i % 16}".encode(), value=value(codec, i).encode(), on_delivery=cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(max(0.1, deadline - time.monotonic()))
    if left or errors:
        raise RuntimeError(f"{left} undelivered, {len(errors)} errors, first {errors[:1]}")
    for i in range(count):
        part, off = delivered[value(codec, i)]
        out("P", codec, part, off, f"k{i % 16}", value(codec, i))

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"debian-{uuid.uuid4().hex[:8]}",
                  "enable.auto.commit": False, "enable.auto.offset.store": False})
    got = 0
    try:
        c.assign([TopicPartition(topic, i, OFFSET_BEGINNING) for i in range(partitions)])
        while got < count and time.monotonic() < deadline + timeout:
            for m in c.consume(500, 0.2):
                if m.error():
                    raise RuntimeError(f"consume error {m.error()}")
                ts_type = {1: "CreateTime", 2: "LogAppendTime"}.get(m.timestamp()[0], "?")
                out("C", codec, m.partition(), m.offset(), m.key().decode(), m.value().decode(), ts_type)
                got += 1
    finally:
        c.close()
    if got != count:
        raise RuntimeError(f"consumed {got} of {count}")


# ----------------------------------------------------------------------------- kafka-python

def kp_version():
    import kafka
    return f"kafka-python {kafka.__version__}"


def kp_admin(bootstrap, timeout):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    name = f"debian-scratch-{uuid.uuid4().hex[:8]}"
    try:
        a.create_topics([NewTopic(name, 2, 1)])
        deadline = time.monotonic() + timeout
        while name not in a.list_topics():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not listed")
            time.sleep(0.1)
        a.delete_topics([name])
    finally:
        a.close()
    return f"created, listed and deleted {name}"


def kp_roundtrip(bootstrap, codec, topic, count, partitions, timeout):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                      compression_type=None if codec == "none" else codec,
                      request_timeout_ms=15000, max_block_ms=15000,
                      max_in_flight_requests_per_connection=1)
    try:
        futures = [p.send(topic, key=f"k{i % 16}".encode(), value=value(codec, i).encode())
                   for i in range(count)]
        p.flush(timeout=timeout)
        for i, f in enumerate(futures):
            md = f.get(timeout=1)
            out("P", codec, md.partition, md.offset, f"k{i % 16}", value(codec, i))
    finally:
        p.close(timeout=5)
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                      auto_offset_reset="earliest", request_timeout_ms=15000)
    got = 0
    try:
        tps = [TopicPartition(topic, i) for i in range(partitions)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout
        while got < count and time.monotonic() < deadline:
            for _, msgs in c.poll(timeout_ms=200).items():
                for m in msgs:
                    out("C", codec, m.partition, m.offset, m.key.decode(), m.value.decode(),
                        TS_TYPES.get(m.timestamp_type, "?"))
                    got += 1
    finally:
        c.close()
    if got != count:
        raise RuntimeError(f"consumed {got} of {count}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", choices=["confluent", "kafka-python"], required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("topics", nargs="*")
    args = ap.parse_args()
    version, admin, roundtrip = {
        "confluent": (confluent_version, confluent_admin, confluent_roundtrip),
        "kafka-python": (kp_version, kp_admin, kp_roundtrip),
    }[args.lib]
    out("VERSION", args.lib, version())
    failed = False
    try:
        out("ADMIN", "ok", admin(args.bootstrap, args.timeout))
    except Exception as e:  # noqa: BLE001 - reported to the test
        out("ADMIN", "fail", f"{type(e).__name__}: {e}".replace("\t", " ").replace("\n", " "))
        failed = True
    for spec in args.topics:
        codec, topic = spec.split("=", 1)
        try:
            roundtrip(args.bootstrap, codec, topic, args.count, args.partitions, args.timeout)
            out("DONE", codec, "ok", "")
        except Exception as e:  # noqa: BLE001 - reported to the test
            out("DONE", codec, "fail", f"{type(e).__name__}: {e}".replace("\t", " ").replace("\n", " "))
            failed = True
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
