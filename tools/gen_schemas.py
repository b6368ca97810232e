#!/usr/bin/env python3
"""Extracts the wire facts of Kafka's message definitions into schemas/.

Usage: python3 tools/gen_schemas.py [KAFKA_MESSAGE_DIR] [OUT_DIR]

Reads Kafka's message/*.json (JSON with // comments) and writes one
schemas/<Name>.json per message we support, keeping only what decides the
bytes on the wire: api key, type, name, version ranges, and per field its
name, type, versions, nullable/tagged/flexible versions, tag, default,
mapKey, ignorable, entityType and nested fields. Descriptions, comments and
license text are dropped. Run by hand; the build reads only schemas/.

Adjustments to the facts are applied in ADJUSTMENTS below and listed in
docs/protocol.md ("Schema adjustments").
"""

import json
import os
import re
import sys

DEFAULT_SRC = "/work/shared/kafka-protocol/message"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "schemas")

API_KEYS = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
            22, 23, 24, 25, 26, 28, 32, 33, 35, 36, 37, 42, 44, 47, 60, 61,
            65, 66, 68, 69, 75]
EXTRA = ["RequestHeader", "ResponseHeader",
         "ConsumerProtocolSubscription", "ConsumerProtocolAssignment"]

TOP_KEYS = ["apiKey", "type", "name", "validVersions", "flexibleVersions",
            "latestVersionUnstable"]
FIELD_KEYS = ["name", "type", "versions", "nullableVersions", "taggedVersions",
              "tag", "default", "flexibleVersions", "mapKey", "ignorable",
              "entityType"]


def strip_comments(text):
    """Removes // comments that are outside string literals."""
    out = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
        elif c == '"':
            in_str = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.loads(strip_comments(f.read()))


def keep_field(f):
    out = {k: f[k] for k in FIELD_KEYS if k in f}
    if "fields" in f:
        out["fields"] = [keep_field(x) for x in f["fields"]]
    return out


def keep_message(d):
    out = {k: d[k] for k in TOP_KEYS if k in d}
    out["fields"] = [keep_field(x) for x in d.get("fields", [])]
    if d.get("commonStructs"):
        out["commonStructs"] = [
            {"name": s["name"], "versions": s["versions"],
             "fields": [keep_field(x) for x in s["fields"]]}
            for s in d["commonStructs"]]
    return out


def widen_produce(msg):
    """Kafka 4 lists Produce 3-13, but brokers must still advertise (and so
    be able to parse and answer) 0-2 (KAFKA-18659). Every field already
    carries version ranges that describe v0-2 (TransactionalId is 3+,
    ThrottleTimeMs 1+, LogAppendTimeMs 2+), so only validVersions widens."""
    assert msg["validVersions"] == "3-13", msg["validVersions"]
    msg["validVersions"] = "0-13"


ADJUSTMENTS = {
    "ProduceRequest": widen_produce,
    "ProduceResponse": widen_produce,
}


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SRC
    out_dir = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT
    os.makedirs(out_dir, exist_ok=True)
    wanted = set(API_KEYS)
    written = []
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json"):
            continue
        d = load(os.path.join(src, name))
        if d.get("apiKey") in wanted or d.get("name") in EXTRA:
            if d.get("type") in ("request", "response") and \
                    d.get("validVersions") == "none":
                continue
            msg = keep_message(d)
            if msg["name"] in ADJUSTMENTS:
                ADJUSTMENTS[msg["name"]](msg)
            path = os.path.join(out_dir, msg["name"] + ".json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(msg, f, indent=2)
                f.write("\n")
            written.append(msg["name"])
    expect = 2 * len(API_KEYS) + len(EXTRA)
    if len(written) != expect:
        sys.exit(f"wrote {len(written)} schemas, expected {expect}")
    print(f"wrote {len(written)} schemas to {out_dir}")


if __name__ == "__main__":
    main()
