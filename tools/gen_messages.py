#!/usr/bin/env python3
"""Generates the C++ Kafka message codec from schemas/*.json.

Usage:
  python3 tools/gen_messages.py --schemas DIR --out DIR [--list]

Writes, under OUT/protocol/msg/:
  <snake_name>.h / .cc     one struct per message with decode()/encode()
  api_keys.h / api_keys.cc API table, header versions
  dispatch.cc              decode any request/response body by key (fuzzing, tests)
  samples/<snake>_sample.cc, samples/samples.h
                           test-only fillers (fill_sample) for round-trip tests
--list prints the generated file names (one per line) without writing, so
CMake can compute the output list at configure time.

The generated API and wire rules are described in docs/protocol.md. Only the
standard library is used.
"""

import argparse
import json
import os
import re
import sys

NO_VERSION = 0x7FFF  # "never" as a first version

PRIMS = {
    # type: (cpp type, reader, writer, min wire bytes)
    "int8": ("int8_t", "i8", "i8", 1),
    "int16": ("int16_t", "i16", "i16", 2),
    "int32": ("int32_t", "i32", "i32", 4),
    "int64": ("int64_t", "i64", "i64", 8),
    "uint16": ("uint16_t", "u16", "u16", 2),
    "uint32": ("uint32_t", "u32", "u32", 4),
    "float64": ("double", "f64", "f64", 8),
    "bool": ("bool", "boolean", "boolean", 1),
    "uuid": ("Uuid", None, None, 16),
}
VARLEN = {"string", "bytes", "records"}
RESERVED_TYPE_NAMES = {"Uuid", "Records", "TaggedField", "Bytes", "ByteReader",
                       "ByteWriter", "ByteSpan"}
CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bitand", "bitor", "bool", "break",
    "case", "catch", "char", "class", "compl", "concept", "const", "consteval",
    "constexpr", "continue", "decltype", "default", "delete", "do", "double", "else",
    "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
    "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not",
    "nullptr", "operator", "or", "private", "protected", "public", "register",
    "requires", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "template", "this", "throw", "true", "try", "typedef", "typename", "union",
    "unsigned", "using", "virtual", "void", "volatile", "while", "xor", "version",
    "flex", "r", "w", "decode", "encode", "unknown_tagged_fields", "min_wire_size"}


# ---- schema model -------------------------------------------------------------

def parse_versions(s):
    """'0+' -> (0, 0x7fff), '3-5' -> (3, 5), '2' -> (2, 2), 'none'/'' -> None."""
    if s is None:
        return None
    s = str(s).strip()
    if s in ("", "none"):
        return None
    if s.endswith("+"):
        return (int(s[:-1]), NO_VERSION)
    if "-" in s:
        a, b = s.split("-")
        return (int(a), int(b))
    return (int(s), int(s))


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = s.lower()
    if s in CPP_KEYWORDS:
        s += "_"
    return s


def parse_int(v):
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int):
        return v
    s = str(v).strip()
    neg = s.startswith("-")
    if neg:
        s = s[1:]
    if s.lower().startswith("0x"):
        n = int(s, 16)
    elif len(s) > 1 and s.startswith("0"):
        n = int(s, 8)
    else:
        n = int(s)
    return -n if neg else n


INT_RANGES = {"int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1),
              "int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1),
              "uint16": (0, 2**16 - 1), "uint32": (0, 2**32 - 1)}


# ---- strong types (docs/protocol.md, "Strong types") ----------------------------
#
# Integer fields that hold an id or offset get a moldau::StrongInt type from
# src/base/ids.h instead of the plain integer. It converts implicitly from and
# to the integer (so encode/decode, defaults and most handler code are
# unchanged), but never into another strong type.

PARTITION_NAMES = {"PartitionIndex", "Partition", "PartitionId",
                   "PartitionIndexes", "Partitions"}
LEADER_EPOCH_NAMES = {"LeaderEpoch", "CurrentLeaderEpoch", "CommittedLeaderEpoch",
                      "LastFetchedEpoch"}
# (struct, field) pairs whose name alone is ambiguous.
LEADER_EPOCH_IN = {("EpochEndOffset", "Epoch"), ("SnapshotId", "Epoch")}
OFFSET_NAMES = {"HighWatermark", "LowWatermark"}  # plus every int64 "...Offset"
STRONG_REP = {"Offset": "int64", "PartitionId": "int32", "NodeId": "int32",
              "LeaderEpoch": "int32", "ProducerId": "int64", "ProducerEpoch": "int16"}


def strong_type(f):
    """The strong C++ type of an integer field (or array element), or None."""
    e, n = f.elem, f.name
    t = None
    if f.entity == "brokerId" or n == "NodeId":
        t = "NodeId"
    elif f.entity == "producerId":
        t = "ProducerId"
    elif n in PARTITION_NAMES or (n == "Index" and "Partition" in (f.parent or "")):
        t = "PartitionId"
    elif n in LEADER_EPOCH_NAMES or (f.parent, n) in LEADER_EPOCH_IN:
        t = "LeaderEpoch"
    elif n.endswith("ProducerEpoch"):
        t = "ProducerEpoch"
    elif n.endswith("Offset") or n in OFFSET_NAMES:
        t = "Offset"
    if t is None or STRONG_REP[t] != e:
        # e.g. DescribeProducers' int32 ProducerEpoch stays a plain integer.
        return None
    return t


class Field:
    def __init__(self, d, msg, parent=None):
        self.name = d["name"]
        self.parent = parent  # enclosing struct's name (None at message level)
        self.entity = d.get("entityType")
        self.cpp = snake(self.name)
        self.type = d["type"]
        self.versions = parse_versions(d.get("versions"))
        self.nullable = parse_versions(d.get("nullableVersions"))
        self.tagged = parse_versions(d.get("taggedVersions"))
        self.tag = d.get("tag")
        self.default = d.get("default")
        self.flexible = parse_versions(d["flexibleVersions"]) if "flexibleVersions" in d \
            else "inherit"
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.is_struct = self.elem not in PRIMS and self.elem not in VARLEN
        self.fields = [Field(x, msg, self.elem) for x in d.get("fields", [])]
        self.strong = strong_type(self)
        if self.tagged is not None:
            if self.tag is None:
                raise SystemExit(f"{msg}.{self.name}: taggedVersions without tag")
            if self.tagged != self.versions:
                raise SystemExit(f"{msg}.{self.name}: tagged versions != versions")
        if self.is_array and self.elem in ("records", "bytes"):
            raise SystemExit(f"{msg}.{self.name}: array of {self.elem} unsupported")

    def nullable_ever(self):
        return self.nullable is not None

    def default_is_null(self):
        return isinstance(self.default, str) and self.default == "null"


class Struct:
    def __init__(self, name, fields):
        self.name = name
        self.fields = fields


class Message:
    def __init__(self, d):
        self.name = d["name"]
        self.kind = d["type"]
        self.api_key = d.get("apiKey")
        self.valid = parse_versions(d["validVersions"])
        flex = parse_versions(d.get("flexibleVersions"))
        self.first_flex = flex[0] if flex else NO_VERSION
        self.unstable = bool(d.get("latestVersionUnstable", False))
        self.fields = [Field(x, self.name) for x in d.get("fields", [])]
        self.structs = {}  # name -> Struct
        common = {}
        for cs in d.get("commonStructs", []):
            common[cs["name"]] = Struct(cs["name"],
                                        [Field(x, self.name, cs["name"]) for x in cs["fields"]])
        self._collect(self.fields, common)
        for name, s in common.items():
            if name not in self.structs:
                self.structs[name] = s
                self._collect(s.fields, common)
        for name in self.structs:
            if name in RESERVED_TYPE_NAMES or name == self.name:
                raise SystemExit(f"{self.name}: struct name {name} clashes")
        self.order = self._order()
        self.snake = snake(self.name).rstrip("_")

    def _collect(self, fields, common):
        for f in fields:
            if not f.is_struct:
                continue
            if f.fields:
                if f.elem in self.structs and self.structs[f.elem].fields is not f.fields:
                    raise SystemExit(f"{self.name}: struct {f.elem} defined twice")
                self.structs[f.elem] = Struct(f.elem, f.fields)
                self._collect(f.fields, common)
            elif f.elem in common:
                if f.elem not in self.structs:
                    self.structs[f.elem] = common[f.elem]
                    self._collect(common[f.elem].fields, common)
            elif f.elem not in self.structs:
                # Defined inline by another field that comes later.
                pass

    def _order(self):
        """Structs in dependency order (a struct after those it contains)."""
        done, out = set(), []

        def visit(name, stack):
            if name in done:
                return
            if name in stack:
                raise SystemExit(f"{self.name}: recursive struct {name}")
            s = self.structs.get(name)
            if s is None:
                raise SystemExit(f"{self.name}: unknown struct type {name}")
            for f in s.fields:
                if f.is_struct:
                    visit(f.elem, stack | {name})
            done.add(name)
            out.append(s)

        for f in self.fields:
            if f.is_struct:
                visit(f.elem, set())
        for name in sorted(self.structs):
            visit(name, set())
        return out

    def versions(self):
        return range(self.valid[0], self.valid[1] + 1)

    def is_flex(self, v):
        return v >= self.first_flex


# ---- version conditions -------------------------------------------------------

def in_range(rng, v):
    return rng is not None and rng[0] <= v <= rng[1]


def cond(rng, msg):
    """C++ condition for `version` in rng, simplified against the message's
    valid range. Returns 'true', 'false' or an expression."""
    lo, hi = msg.valid
    if rng is None or rng[1] < lo or rng[0] > hi:
        return "false"
    parts = []
    if rng[0] > lo:
        parts.append(f"version >= {rng[0]}")
    if rng[1] < hi:
        parts.append(f"version <= {rng[1]}")
    return " && ".join(parts) if parts else "true"


def flex_cond(msg):
    return cond((msg.first_flex, NO_VERSION), msg)


def compact_cond(f, msg):
    if f.flexible == "inherit":
        return "flex"
    return cond(f.flexible, msg)


def and_(a, b):
    if a == "false" or b == "false":
        return "false"
    if a == "true":
        return b
    if b == "true":
        return a
    return f"({a}) && ({b})"


def wrap_if(c, lines, indent):
    """Lines guarded by condition c (omitted when c is false)."""
    if c == "false":
        return []
    if c == "true":
        return lines
    return [f"if ({c}) {{"] + ["  " + x for x in lines] + ["}"]


# ---- types and defaults -------------------------------------------------------

def elem_cpp(f):
    if f.is_struct:
        return f.elem
    if f.strong:
        return f.strong
    if f.elem in PRIMS:
        return PRIMS[f.elem][0]
    if f.elem == "string":
        return "std::string"
    raise SystemExit(f"no element type for {f.type}")


def field_cpp(f):
    if f.is_array:
        t = f"std::vector<{elem_cpp(f)}>"
        return f"std::optional<{t}>" if f.nullable_ever() else t
    if f.is_struct:
        return f"std::optional<{f.elem}>" if f.nullable_ever() else f.elem
    if f.strong:
        return f.strong
    if f.type in PRIMS:
        return PRIMS[f.type][0]
    if f.type == "string":
        return "std::optional<std::string>" if f.nullable_ever() else "std::string"
    if f.type == "bytes":
        return "std::optional<Bytes>" if f.nullable_ever() else "Bytes"
    if f.type == "records":
        return "Records"
    raise SystemExit(f"unknown type {f.type}")


def int_literal(t, n):
    lo, hi = INT_RANGES[t]
    if not lo <= n <= hi:
        raise SystemExit(f"default {n} out of range for {t}")
    if n == -2**63:
        return "std::numeric_limits<int64_t>::min()"
    if abs(n) > 2**31 - 1:
        return f"static_cast<{PRIMS[t][0]}>({n}LL)" if t != "uint32" else f"{n}U"
    return str(n)


def default_init(f, msg):
    """The C++ initializer of a member ('' = value-initialized)."""
    d = f.default
    if f.is_array or f.is_struct:
        if d is not None and not f.default_is_null():
            raise SystemExit(f"{msg.name}.{f.name}: unsupported default {d!r}")
        if f.nullable_ever() and not f.default_is_null():
            return f"{field_cpp(f)[len('std::optional<'):-1]}{{}}"
        return ""
    if f.type in INT_RANGES:
        return "" if d is None else int_literal(f.type, parse_int(d))
    if f.type == "bool":
        if d is None:
            return ""
        v = d if isinstance(d, bool) else str(d).strip().lower() == "true"
        return "true" if v else ""
    if f.type == "float64":
        return "" if d is None else repr(float(d))
    if f.type == "string":
        if f.default_is_null():
            if not f.nullable_ever():
                raise SystemExit(f"{msg.name}.{f.name}: null default on non-nullable")
            return ""
        s = "" if d is None else str(d)
        if f.nullable_ever():
            return f"std::string({json.dumps(s)})" if s else "std::string()"
        return json.dumps(s) if s else ""
    if f.type == "bytes":
        if f.nullable_ever() and not f.default_is_null():
            return "Bytes()"
        return ""
    if f.type in ("uuid", "records"):
        return ""
    raise SystemExit(f"no default for {f.type}")


def default_expr(f, msg):
    init = default_init(f, msg)
    t = field_cpp(f)
    return f"{t}({init})" if init else f"{t}{{}}"


# ---- minimum encoded size (for array count checks) ----------------------------

def min_size(msg, struct_fields, v, memo):
    total = 1 if msg.is_flex(v) else 0  # tagged-field count
    for f in struct_fields:
        if not in_range(f.versions, v) or in_range(f.tagged, v):
            continue
        total += field_min_size(msg, f, v, memo)
    return total


def field_min_size(msg, f, v, memo):
    compact = msg.is_flex(v) if f.flexible == "inherit" else in_range(f.flexible, v)
    if f.is_array or f.type in ("bytes", "records"):
        return 1 if compact else 4
    if f.type == "string":
        return 1 if compact else 2
    if f.is_struct:
        if in_range(f.nullable, v):
            return 1
        return struct_min_size(msg, f.elem, v, memo)
    return PRIMS[f.type][3]


def struct_min_size(msg, name, v, memo):
    key = (name, v)
    if key not in memo:
        memo[key] = min_size(msg, msg.structs[name].fields, v, memo)
    return memo[key]


def min_size_fn(msg, fields, memo):
    """Body of `static constexpr size_t min_wire_size(int16_t version)`."""
    sizes = [(v, min_size(msg, fields, v, memo)) for v in msg.versions()]
    lines = []
    # Collapse equal runs, from the newest version down.
    runs = []
    for v, s in sizes:
        if runs and runs[-1][2] == s:
            runs[-1][1] = v
        else:
            runs.append([v, v, s])
    for lo, hi, s in reversed(runs[1:]):
        lines.append(f"if (version >= {lo}) return {s};")
    lines.append(f"return {runs[0][2]};")
    return lines


# ---- code: decode ---------------------------------------------------------------

def nullable_cond(f, msg):
    return cond(f.nullable, msg)


def decode_value(f, msg, target, R, compact):
    """Statements reading field f into `target` from reader R."""
    nc = nullable_cond(f, msg)
    if f.is_array:
        return decode_array(f, msg, target, R, compact, nc)
    if f.is_struct:
        if not f.nullable_ever():
            return [f"{target}.decode({R}, version);"]
        if nc == "true":
            return [f"if (wire::read_struct_present({R}, true)) {target}.emplace().decode({R}, version);",
                    f"else {target}.reset();"]
        return [f"if (!({nc}) || wire::read_struct_present({R}, true)) {{",
                f"  {target}.emplace().decode({R}, version);",
                "} else {",
                f"  {target}.reset();",
                "}"]
    if f.type == "uuid":
        return [f"{target} = wire::read_uuid({R});"]
    if f.type in PRIMS:
        return [f"{target} = {R}.{PRIMS[f.type][1]}();"]
    if f.type in ("string", "bytes"):
        fn = "read_string" if f.type == "string" else "read_bytes"
        if f.nullable_ever():
            return [f"wire::{fn}({R}, {compact}, {nc}, {target});"]
        return [f"wire::{fn}({R}, {compact}, {target});"]
    if f.type == "records":
        return [f"wire::read_records({R}, {compact}, {nc}, {target});"]
    raise SystemExit(f"cannot decode {f.type}")


def decode_elem(f, R, compact):
    if f.is_struct:
        return f"e.decode({R}, version);"
    if f.elem == "uuid":
        return f"e = wire::read_uuid({R});"
    if f.elem == "string":
        return f"wire::read_string({R}, {compact}, e);"
    return f"e = {R}.{PRIMS[f.elem][1]}();"


def elem_min(f):
    if f.is_struct:
        return f"{f.elem}::min_wire_size(version)"
    if f.elem == "string":
        return "1"
    return str(PRIMS[f.elem][3])


def decode_array(f, msg, target, R, compact, nc):
    lines = [f"int64_t n = wire::read_array_len({R}, {compact}, {elem_min(f)});"]
    if f.nullable_ever():
        null_branch = f"{target}.reset();" if nc == "true" else \
            f"if ({nc}) {target}.reset(); else {R}.fail();"
        lines += ["if (n < 0) {", "  " + null_branch, "} else {",
                  f"  auto& v = {target}.emplace();"]
    else:
        lines += ["if (n < 0) {", f"  {R}.fail();", "} else {", f"  auto& v = {target};"]
    lines += ["  v.resize(size_t(n));",
              f"  for (auto& e : v) {decode_elem(f, R, compact)}", "}"]
    return ["{"] + ["  " + x for x in lines] + ["}"]


# ---- code: encode ---------------------------------------------------------------

def encode_value(f, msg, src, W, compact):
    nc = nullable_cond(f, msg)
    if f.is_array:
        return encode_array(f, msg, src, W, compact, nc)
    if f.is_struct:
        if not f.nullable_ever():
            return [f"{src}.encode({W}, version);"]
        present = [f"{W}.i8(1);", f"{src}->encode({W}, version);"]
        if nc == "true":
            return [f"if ({src}) {{"] + ["  " + x for x in present] + \
                ["} else {", f"  {W}.i8(-1);", "}"]
        return [f"if ({nc}) {{",
                f"  if ({src}) {{",
                f"    {W}.i8(1);",
                f"    {src}->encode({W}, version);",
                "  } else {",
                f"    {W}.i8(-1);",
                "  }",
                f"}} else if ({src}) {{",
                f"  {src}->encode({W}, version);",
                "} else {",
                f"  {f.elem}().encode({W}, version);",
                "}"]
    if f.type == "uuid":
        return [f"wire::write_uuid({W}, {src});"]
    if f.type in PRIMS:
        return [f"{W}.{PRIMS[f.type][2]}({src});"]
    if f.type in ("string", "bytes"):
        fn = "write_string" if f.type == "string" else "write_bytes"
        if f.nullable_ever():
            return [f"wire::{fn}({W}, {compact}, {nc}, {src});"]
        return [f"wire::{fn}({W}, {compact}, {src});"]
    if f.type == "records":
        return [f"wire::write_records({W}, {compact}, {nc}, {src});"]
    raise SystemExit(f"cannot encode {f.type}")


def encode_elem(f, W, compact):
    if f.is_struct:
        return f"e.encode({W}, version);"
    if f.elem == "uuid":
        return f"wire::write_uuid({W}, e);"
    if f.elem == "string":
        return f"wire::write_string({W}, {compact}, e);"
    return f"{W}.{PRIMS[f.elem][2]}(e);"


def encode_array(f, msg, src, W, compact, nc):
    loop = [f"wire::write_array_len({W}, {compact}, v.size());",
            f"for (const auto& e : v) {encode_elem(f, W, compact)}"]
    if not f.nullable_ever():
        return ["{", f"  const auto& v = {src};"] + ["  " + x for x in loop] + ["}"]
    null_write = f"wire::write_null_array({W}, {compact});"
    if nc != "true":
        # A null array in a version where it cannot be null is sent empty.
        null_write = f"if ({nc}) wire::write_null_array({W}, {compact}); " \
                     f"else wire::write_array_len({W}, {compact}, 0);"
    return [f"if ({src}) {{", f"  const auto& v = *{src};"] + ["  " + x for x in loop] + \
        ["} else {", "  " + null_write, "}"]


# ---- code: struct bodies --------------------------------------------------------

def struct_decl(msg, name, fields, indent, memo, top):
    p = " " * indent
    out = [f"{p}struct {name} {{"]
    if top:
        if msg.api_key is not None:
            out.append(f"{p}  static constexpr int16_t kApiKey = {msg.api_key};")
        out.append(f"{p}  static constexpr int16_t kMinVersion = {msg.valid[0]}, "
                   f"kMaxVersion = {msg.valid[1]};")
        out.append(f"{p}  static constexpr int16_t kFirstFlexibleVersion = "
                   f"{msg.first_flex if msg.first_flex != NO_VERSION else '0x7fff'};")
        out.append("")
        for s in msg.order:
            out.append(f"{p}  using {s.name} = {msg.snake}_types::{s.name};")
        if msg.order:
            out.append("")
    for f in fields:
        if cond(f.versions, msg) == "false":
            continue
        init = default_init(f, msg)
        out.append(f"{p}  {field_cpp(f)} {f.cpp}" + (f" = {init};" if init else "{};"))
    out.append(f"{p}  std::vector<TaggedField> unknown_tagged_fields;")
    out.append("")
    out.append(f"{p}  // Reads this struct at `version`; false (and r failed) on malformed input.")
    out.append(f"{p}  bool decode(ByteReader& r, int16_t version);")
    out.append(f"{p}  void encode(ByteWriter& w, int16_t version) const;")
    out.append(f"{p}  // Smallest encoding at `version`: bounds array counts when decoding.")
    out.append(f"{p}  static constexpr size_t min_wire_size([[maybe_unused]] int16_t version) {{")
    out += [f"{p}    {x}" for x in min_size_fn(msg, fields, memo)]
    out.append(f"{p}  }}")
    out.append(f"{p}  bool operator==(const {name}&) const = default;")
    out.append(f"{p}}};")
    return out


def live_fields(msg, fields):
    return [f for f in fields if cond(f.versions, msg) != "false"]


def tagged_fields(msg, fields):
    return sorted([f for f in live_fields(msg, fields) if f.tagged is not None],
                  key=lambda f: f.tag)


def decode_fn(msg, qual, fields, top):
    fc = flex_cond(msg)
    body = []
    if top:
        body += ["if (version < kMinVersion || version > kMaxVersion) {",
                 "  r.fail();", "  return false;", "}"]
    body.append(f"*this = {qual.split('::')[-1]}();")
    body.append(f"[[maybe_unused]] const bool flex = {fc};")
    for f in live_fields(msg, fields):
        if f.tagged is not None:
            continue
        body += wrap_if(cond(f.versions, msg),
                        decode_value(f, msg, f.cpp, "r", compact_cond(f, msg)), 0)
    if fc != "false":
        tags = tagged_fields(msg, fields)
        loop = ["uint32_t tag = 0, size = 0;",
                "wire::read_tag_header(r, tag, size);",
                "if (!r.ok()) break;"]
        first = True
        for f in tags:
            c = and_(f"tag == {f.tag}", cond(f.tagged, msg))
            kw = "if" if first else "} else if"
            first = False
            loop.append(f"{kw} ({c}) {{")
            loop.append("  ByteReader s = wire::sub_reader(r, size);")
            loop += ["  " + x for x in decode_value(f, msg, f.cpp, "s", compact_cond(f, msg))]
            loop.append("  if (!s.ok()) r.fail();")
        if tags:
            loop += ["} else {", "  wire::keep_unknown(r, tag, size, unknown_tagged_fields);", "}"]
        else:
            loop.append("wire::keep_unknown(r, tag, size, unknown_tagged_fields);")
        body += ["if (flex) {",
                 "  uint32_t n_tags = wire::read_tag_count(r);",
                 "  for (uint32_t i = 0; i < n_tags; ++i) {"]
        body += ["    " + x for x in loop]
        body += ["  }", "}"]
    body.append("return r.ok();")
    return [f"bool {qual}::decode(ByteReader& r, int16_t version) {{"] + \
        ["  " + x for x in body] + ["}"]


def encode_fn(msg, qual, fields, top):
    fc = flex_cond(msg)
    body = []
    if top:
        body.append("assert(version >= kMinVersion && version <= kMaxVersion);")
    body.append(f"[[maybe_unused]] const bool flex = {fc};")
    for f in live_fields(msg, fields):
        if f.tagged is not None:
            continue
        body += wrap_if(cond(f.versions, msg),
                        encode_value(f, msg, f.cpp, "w", compact_cond(f, msg)), 0)
    if fc != "false":
        tags = tagged_fields(msg, fields)
        if not tags:
            body.append("if (flex) wire::write_unknown_tags(w, unknown_tagged_fields);")
        else:
            t = ["size_t n_tags = unknown_tagged_fields.size();"]
            for f in tags:
                c = and_(cond(f.tagged, msg), f"!({f.cpp} == {default_expr(f, msg)})")
                t.append(f"const bool has_{f.cpp} = {c};")
                t.append(f"n_tags += has_{f.cpp};")
            t.append("w.uvarint(uint32_t(n_tags));")
            t.append("size_t next_unknown = 0;")
            for f in tags:
                t.append(f"if (has_{f.cpp}) {{")
                t.append(f"  wire::write_unknowns_below(w, unknown_tagged_fields, next_unknown, {f.tag});")
                t.append("  ByteWriter t;")
                t += ["  " + x for x in encode_value(f, msg, f.cpp, "t", compact_cond(f, msg))]
                t.append(f"  wire::write_tagged(w, {f.tag}, t);")
                t.append("}")
            t.append("wire::write_unknowns_below(w, unknown_tagged_fields, next_unknown, "
                     "uint64_t(1) << 32);")
            body += ["if (flex) {"] + ["  " + x for x in t] + ["}"]
    return [f"void {qual}::encode(ByteWriter& w, int16_t version) const {{"] + \
        ["  " + x for x in body] + ["}"]


HEADER_PREAMBLE = """// Generated by tools/gen_messages.py from schemas/{schema}.json. Do not edit.
// The generated API is described in docs/protocol.md.
"""


def gen_header(msg):
    memo = {}
    out = [HEADER_PREAMBLE.format(schema=msg.name).rstrip("\n"),
           "#pragma once", "",
           "#include <cstddef>", "#include <cstdint>", "#include <optional>",
           "#include <string>", "#include <vector>", "",
           '#include "base/bytes.h"', '#include "base/ids.h"',
           '#include "protocol/records.h"',
           '#include "protocol/uuid.h"', '#include "protocol/wire.h"', "",
           "namespace moldau::protocol {", ""]
    # Nested structs are defined complete at namespace scope and aliased into
    # the message: clang rejects optional<Nested>::emplace() when Nested is a
    # nested class with default member initializers used inside its
    # enclosing class.
    if msg.order:
        out.append(f"namespace {msg.snake}_types {{")
        for s in msg.order:
            out.append("")
            out += struct_decl(msg, s.name, s.fields, 0, memo, False)
        out += ["", f"}}  // namespace {msg.snake}_types", ""]
    out += struct_decl(msg, msg.name, msg.fields, 0, memo, True)
    out += ["", "}  // namespace moldau::protocol", ""]
    return "\n".join(out)


def gen_source(msg):
    out = [HEADER_PREAMBLE.format(schema=msg.name).rstrip("\n"),
           f'#include "protocol/msg/{msg.snake}.h"', "",
           "#include <cassert>", "#include <limits>", "",
           "namespace moldau::protocol {", ""]
    for s in msg.order:
        qual = f"{msg.snake}_types::{s.name}"
        out += decode_fn(msg, qual, s.fields, False) + [""]
        out += encode_fn(msg, qual, s.fields, False) + [""]
    out += decode_fn(msg, msg.name, msg.fields, True) + [""]
    out += encode_fn(msg, msg.name, msg.fields, True) + [""]
    out += ["}  // namespace moldau::protocol", ""]
    return "\n".join(out)


# ---- test-only samples ----------------------------------------------------------

def name_hash(s):
    h = 0
    for c in s:
        h = (h * 31 + ord(c)) % 1000003
    return h


def sample_int(f, msg):
    t = f.type
    lo, hi = INT_RANGES[t]
    d = parse_int(f.default) if f.default is not None else 0
    h = name_hash(f.name) % 50
    k = d + 1 + h if d + 60 <= hi else d - 10 - h
    return f"static_cast<{PRIMS[t][0]}>({k}LL + seed)"


def sample_value_lines(f, msg, target):
    """Statements giving field f a non-default value at `version`."""
    nc = nullable_cond(f, msg)
    # Seed 1 makes every nullable field null (where the version allows), the
    # other seeds give every field a non-default, non-null value.
    null_guard = and_(nc, "seed % 3 == 1") if f.nullable_ever() else "false"

    def maybe_null(lines, reset):
        if null_guard == "false":
            return lines
        return [f"if ({null_guard}) {{", f"  {reset}", "} else {"] + \
            ["  " + x for x in lines] + ["}"]

    if f.is_array:
        v = f"{target}.emplace()" if f.nullable_ever() else target
        if f.is_struct:
            lines = [f"{{", f"  auto& v = {v};", "  v.clear();",
                     "  for (int i = 0; i < 2; ++i) fill_sample(v.emplace_back(), version, seed + i);",
                     "}"]
        else:
            e = f.elem
            if e == "string":
                vals = f'"{f.name[:3].lower()}" + std::to_string(seed), std::string("x")'
            elif e == "uuid":
                vals = f"Uuid{{{name_hash(f.name)}ULL, uint64_t(seed) + 1}}, Uuid{{7, 8}}"
            elif e == "bool":
                vals = "true, false"
            else:
                ct = PRIMS[e][0]
                vals = f"static_cast<{ct}>(seed + 1), static_cast<{ct}>({name_hash(f.name) % 100})"
            lines = [f"{v} = std::vector<{elem_cpp(f)}>{{{vals}}};"]
        return maybe_null(lines, f"{target}.reset();")
    if f.is_struct:
        v = f"{target}.emplace()" if f.nullable_ever() else target
        return maybe_null([f"fill_sample({v}, version, seed + 1);"], f"{target}.reset();")
    if f.type in INT_RANGES:
        return [f"{target} = {sample_int(f, msg)};"]
    if f.type == "bool":
        init = default_init(f, msg)
        return [f"{target} = {'false' if init == 'true' else 'true'};"]
    if f.type == "float64":
        return [f"{target} = 1.5 + seed;"]
    if f.type == "uuid":
        return [f"{target} = Uuid{{{name_hash(f.name)}ULL, uint64_t(seed) + 1}};"]
    if f.type == "string":
        return maybe_null([f'{target} = "{f.name}-" + std::to_string(seed);'],
                          f"{target}.reset();")
    if f.type == "bytes":
        return maybe_null([f"{target} = Bytes{{1, 2, 3, uint8_t(seed)}};"], f"{target}.reset();")
    if f.type == "records":
        null_guard2 = and_(nc, "seed % 3 == 1")
        lines = [f"{target} = sample_records(seed);"]
        if null_guard2 != "false":
            lines = [f"if ({null_guard2}) {target} = Records::null();", f"else {lines[0]}"]
        return lines
    raise SystemExit(f"no sample for {f.type}")


def fill_fn(msg, qual, fields, static):
    fc = flex_cond(msg)
    body = [f"m = {qual}();"]
    for f in live_fields(msg, fields):
        body += wrap_if(cond(f.versions, msg), sample_value_lines(f, msg, f"m.{f.cpp}"), 0)
    if fc != "false":
        body += wrap_if(fc, ["m.unknown_tagged_fields.push_back("
                             "TaggedField{uint32_t(100 + seed), Bytes{uint8_t(seed), 7}});"], 0)
    sig = f"{'static ' if static else ''}void fill_sample({qual}& m, int16_t version, int seed)"
    return [sig + " {", "  (void)version;"] + ["  " + x for x in body] + ["}"]


def gen_sample(msg):
    out = [HEADER_PREAMBLE.format(schema=msg.name).rstrip("\n"),
           "// Test-only: fills every field present in a version with a non-default value.",
           '#include "protocol/msg/samples/samples.h"', "",
           "namespace moldau::protocol {", ""]
    for s in msg.order:
        out += fill_fn(msg, f"{msg.snake}_types::{s.name}", s.fields, True) + [""]
    out += fill_fn(msg, msg.name, msg.fields, False) + [""]
    out += ["}  // namespace moldau::protocol", ""]
    return "\n".join(out)


def gen_samples_h(msgs):
    out = ["// Generated by tools/gen_messages.py. Do not edit.",
           "// Test-only sample fillers for every generated message (docs/protocol.md).",
           "#pragma once", "", "#include <cstdint>", "#include <string>", "",
           '#include "protocol/records.h"']
    out += [f'#include "protocol/msg/{m.snake}.h"' for m in msgs]
    out += ["", "namespace moldau::protocol {", "",
            "// Records pointing at static bytes (larger than the borrow threshold when",
            "// seed % 3 == 2, so that the zero-copy writer path is covered).",
            "Records sample_records(int seed);", ""]
    out += [f"void fill_sample({m.name}& m, int16_t version, int seed);" for m in msgs]
    out += ["", "// X(Type, kind) for every generated message; kind is request, response,",
            "// header or data.", "#define MOLDAU_PROTOCOL_MESSAGES(X) \\"]
    out += [f"  X({m.name}, {m.kind}) \\" for m in msgs]
    out += ["", "", "}  // namespace moldau::protocol", ""]
    return "\n".join(out)


SAMPLE_RECORDS_CC = """// Generated by tools/gen_messages.py. Do not edit.
#include <array>

#include "protocol/msg/samples/samples.h"

namespace moldau::protocol {

Records sample_records(int seed) {
  static const auto bytes = [] {
    std::array<uint8_t, 5000> b{};
    for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i * 7 + 3);
    return b;
  }();
  size_t n = seed % 3 == 2 ? bytes.size() : size_t(61 + seed % 7);
  return Records::of(ByteSpan(bytes.data(), n));
}

}  // namespace moldau::protocol
"""


# ---- api table and dispatch -----------------------------------------------------

def api_name(msg):
    return msg.name[: -len("Request")]


def gen_api_keys_h(pairs):
    out = ["// Generated by tools/gen_messages.py from schemas/. Do not edit.",
           "// The API table, header versions, and a decoder for any request or",
           "// response body (docs/protocol.md).",
           "#pragma once", "", "#include <cstdint>", "#include <span>", "",
           '#include "base/bytes.h"', '#include "protocol/msg/request_header.h"',
           '#include "protocol/msg/response_header.h"', "",
           "namespace moldau::protocol {", "",
           "namespace api_key {"]
    for req, _ in pairs:
        out.append(f"inline constexpr int16_t k{api_name(req)} = {req.api_key};")
    out += ["}  // namespace api_key", "",
            "struct ApiInfo {",
            "  int16_t key;",
            "  const char* name;                // Kafka's name, e.g. \"Metadata\"",
            "  int16_t min_version, max_version; // what the codec handles (schemas/)",
            "  int16_t first_flexible_version;  // 0x7fff when never flexible",
            "  bool latest_version_unstable;    // Kafka marks max_version unstable",
            "};", "",
            "// nullptr when there is no schema for `key`.",
            "const ApiInfo* api_info(int16_t key);",
            "// Every API with a schema, ordered by key.",
            "std::span<const ApiInfo> all_apis();", "",
            "// Header versions for a body version. Unknown keys get request header v1",
            "// (a prefix of v2) and response header v0. ApiVersions responses always",
            "// use header v0 so that a client can read them before it knows versions.",
            "int16_t request_header_version(int16_t key, int16_t version);",
            "int16_t response_header_version(int16_t key, int16_t version);",
            "// Reads a request header whose version follows from the api key and",
            "// version it starts with. False (r failed) when malformed.",
            "bool decode_request_header(ByteReader& r, RequestHeader& out);", "",
            "// Decodes a body into a throwaway object of the right type: for tests and",
            "// fuzzing. False (r failed) when the key is unknown, the version is out of",
            "// range, or the bytes are malformed.",
            "bool decode_request_body(int16_t key, int16_t version, ByteReader& r);",
            "bool decode_response_body(int16_t key, int16_t version, ByteReader& r);",
            "// Decodes `body`; when that works, encodes, decodes and encodes again and",
            "// returns false if the two encodings differ (codec asymmetry). True when",
            "// the body does not decode.",
            "bool request_round_trip_stable(int16_t key, int16_t version, ByteSpan body);",
            "bool response_round_trip_stable(int16_t key, int16_t version, ByteSpan body);",
            "", "}  // namespace moldau::protocol", ""]
    return "\n".join(out)


def gen_api_keys_cc(pairs):
    out = ["// Generated by tools/gen_messages.py from schemas/. Do not edit.",
           '#include "protocol/msg/api_keys.h"', "",
           "namespace moldau::protocol {", "namespace {", "",
           "constexpr ApiInfo kApis[] = {"]
    for req, resp in pairs:
        ff = req.first_flex if req.first_flex != NO_VERSION else 0x7FFF
        out.append(f'    {{{req.api_key}, "{api_name(req)}", {req.valid[0]}, {req.valid[1]}, '
                   f'{ff}, {"true" if req.unstable else "false"}}},')
    out += ["};", "", "}  // namespace", "",
            "const ApiInfo* api_info(int16_t key) {",
            "  for (const auto& a : kApis) {",
            "    if (a.key == key) return &a;",
            "  }",
            "  return nullptr;",
            "}", "",
            "std::span<const ApiInfo> all_apis() { return kApis; }", "",
            "int16_t request_header_version(int16_t key, int16_t version) {",
            "  const ApiInfo* a = api_info(key);",
            "  return a && version >= a->first_flexible_version ? 2 : 1;",
            "}", "",
            "int16_t response_header_version(int16_t key, int16_t version) {",
            f"  if (key == {18}) return 0;  // ApiVersions (KIP-511)",
            "  const ApiInfo* a = api_info(key);",
            "  return a && version >= a->first_flexible_version ? 1 : 0;",
            "}", "",
            "bool decode_request_header(ByteReader& r, RequestHeader& out) {",
            "  ByteReader peek = r;",
            "  const int16_t key = peek.i16();",
            "  const int16_t version = peek.i16();",
            "  if (!peek.ok()) {",
            "    r.fail();",
            "    return false;",
            "  }",
            "  return out.decode(r, request_header_version(key, version));",
            "}", "",
            "}  // namespace moldau::protocol", ""]
    return "\n".join(out)


def gen_dispatch_cc(pairs):
    out = ["// Generated by tools/gen_messages.py from schemas/. Do not edit.",
           '#include "protocol/msg/api_keys.h"', ""]
    for req, resp in pairs:
        out.append(f'#include "protocol/msg/{req.snake}.h"')
        out.append(f'#include "protocol/msg/{resp.snake}.h"')
    out += ["", "namespace moldau::protocol {", "namespace {", "",
            "template <typename T>",
            "bool decode_as(int16_t version, ByteReader& r) {",
            "  T m;",
            "  return m.decode(r, version);",
            "}", "",
            "template <typename T>",
            "bool stable_as(int16_t version, ByteSpan body) {",
            "  T a;",
            "  ByteReader r(body);",
            "  if (!a.decode(r, version)) return true;",
            "  ByteWriter w1;",
            "  a.encode(w1, version);",
            "  Bytes first = w1.flatten();",
            "  T b;",
            "  ByteReader r2(first);",
            "  if (!b.decode(r2, version) || r2.remaining() != 0) return false;",
            "  ByteWriter w2;",
            "  b.encode(w2, version);",
            "  return w2.flatten() == first;",
            "}", "",
            "}  // namespace", ""]
    for side, idx in (("request", 0), ("response", 1)):
        for fn, tmpl, args, sig in (
                ("decode_{}_body", "decode_as", "version, r",
                 "int16_t key, int16_t version, ByteReader& r"),
                ("{}_round_trip_stable", "stable_as", "version, body",
                 "int16_t key, int16_t version, ByteSpan body")):
            out.append(f"bool {fn.format(side)}({sig}) {{")
            out.append("  switch (key) {")
            for pair in pairs:
                m = pair[idx]
                out.append(f"    case {m.api_key}: return {tmpl}<{m.name}>({args});")
            out.append("    default:")
            if tmpl == "decode_as":
                out += ["      r.fail();", "      return false;"]
            else:
                out.append("      return true;")
            out += ["  }", "}", ""]
    out += ["}  // namespace moldau::protocol", ""]
    return "\n".join(out)


# ---- driver -----------------------------------------------------------------------

def load_messages(schema_dir):
    msgs = []
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".json"):
            with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
                msgs.append(Message(json.load(f)))
    return msgs


def pair_up(msgs):
    by_key = {}
    for m in msgs:
        if m.kind in ("request", "response"):
            by_key.setdefault(m.api_key, {})[m.kind] = m
    pairs = []
    for key in sorted(by_key):
        d = by_key[key]
        if set(d) != {"request", "response"}:
            raise SystemExit(f"api key {key}: need both request and response")
        req, resp = d["request"], d["response"]
        if req.valid != resp.valid or req.first_flex != resp.first_flex:
            raise SystemExit(f"api key {key}: request/response versions differ")
        pairs.append((req, resp))
    return pairs


def outputs(msgs):
    files = []
    for m in msgs:
        files += [f"protocol/msg/{m.snake}.h", f"protocol/msg/{m.snake}.cc",
                  f"protocol/msg/samples/{m.snake}_sample.cc"]
    files += ["protocol/msg/api_keys.h", "protocol/msg/api_keys.cc",
              "protocol/msg/dispatch.cc", "protocol/msg/samples/samples.h",
              "protocol/msg/samples/sample_records.cc"]
    return files


def write_if_changed(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                # Unchanged: keep the time stamp so that ninja (restat) does
                # not recompile what depends on it.
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    msgs = load_messages(args.schemas)
    if args.list:
        print(";".join(outputs(msgs)))
        return
    pairs = pair_up(msgs)
    names = {m.name for m in msgs}
    for need in ("RequestHeader", "ResponseHeader"):
        if need not in names:
            raise SystemExit(f"schemas/ lacks {need}")
    gen = {}
    for m in msgs:
        gen[f"protocol/msg/{m.snake}.h"] = gen_header(m)
        gen[f"protocol/msg/{m.snake}.cc"] = gen_source(m)
        gen[f"protocol/msg/samples/{m.snake}_sample.cc"] = gen_sample(m)
    gen["protocol/msg/api_keys.h"] = gen_api_keys_h(pairs)
    gen["protocol/msg/api_keys.cc"] = gen_api_keys_cc(pairs)
    gen["protocol/msg/dispatch.cc"] = gen_dispatch_cc(pairs)
    gen["protocol/msg/samples/samples.h"] = gen_samples_h(msgs)
    gen["protocol/msg/samples/sample_records.cc"] = SAMPLE_RECORDS_CC
    assert sorted(gen) == sorted(outputs(msgs))
    for rel, text in gen.items():
        write_if_changed(os.path.join(args.out, rel), text)


if __name__ == "__main__":
    main()
