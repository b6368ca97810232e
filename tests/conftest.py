"""Fixtures for Moldau's integration tests: real brokers, real clients.

  --broker=moldau (default)  runs <MOLDAU_BIN> (default build/moldau)
  --broker=kafka             runs Apache Kafka from Maven Central jars instead, to check
                             that the tests themselves are right

Brokers listen on a free 127.0.0.1 port with a fresh data dir under pytest's tmp dir;
each broker's output goes to broker.log in its dir, and the part written during a
failing test is attached to that test's report.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import broker as brokers  # noqa: E402
from harness import wire  # noqa: E402
from harness.util import REPO_DIR, unique_topic, wait_until  # noqa: E402

# kafka-python logs through the "kafka" logger; with a handler of its own, a client kept
# alive past its broker cannot print after pytest's summary (Python's last-resort
# handler). pytest still shows those records for a failing test.
logging.getLogger("kafka").addHandler(logging.NullHandler())

# Every broker started in this session, for the failure report hook.
_STARTED: list = []


def pytest_addoption(parser):
    g = parser.getgroup("moldau")
    g.addoption("--broker", choices=["moldau", "kafka"],
                default=os.environ.get("MOLDAU_TEST_BROKER", "moldau"),
                help="broker under test: moldau (default) or Apache Kafka from Maven Central jars")
    g.addoption("--moldau-bin", default=os.environ.get("MOLDAU_BIN", str(REPO_DIR / "build" / "moldau")),
                help="the moldau binary (default: $MOLDAU_BIN or build/moldau)")
    g.addoption("--kafka-version", default=os.environ.get("KAFKA_VERSION", "4.3.1"),
                help="Apache Kafka version for --broker=kafka and the CLI tools (default 4.3.1)")
    g.addoption("--record-durations", metavar="PATH", default=None,
                help="write each test's duration (setup + call + teardown) into PATH, merged "
                     "with what PATH holds; tests/durations.txt orders parallel runs")


def pytest_configure(config):
    os.environ["KAFKA_VERSION"] = config.getoption("--kafka-version")
    os.environ.setdefault("KAFKAJS_NO_PARTITIONER_WARNING", "1")


def pytest_report_header(config):
    kind = config.getoption("--broker")
    if kind == "moldau":
        return f"broker under test: moldau ({config.getoption('--moldau-bin')})"
    return f"broker under test: Apache Kafka {config.getoption('--kafka-version')} (Maven Central jars)"


class BrokerFactory:
    """Makes brokers of the kind under test; remembers them so they are stopped."""

    def __init__(self, config, base_dir: Path):
        self.kind = config.getoption("--broker")
        self.moldau_bin = config.getoption("--moldau-bin")
        self.base_dir = Path(base_dir)
        self.made: list = []

    def new(self, name="broker", overrides=None, start=True) -> brokers.Broker:
        d = self.base_dir / f"{name}-{len(self.made)}"
        b = brokers.make_broker(self.kind, d, overrides, self.moldau_bin)
        self.made.append(b)
        _STARTED.append(b)
        if start:
            b.start()
        return b

    def stop_all(self):
        errors = []
        for b in self.made:
            try:
                b.stop()
            except Exception as e:  # noqa: BLE001 - collected, reported below
                errors.append(f"{b.describe()}: {e}")
                b.kill()
        self.made.clear()
        return errors


@pytest.fixture(scope="session")
def broker_kind(pytestconfig) -> str:
    return pytestconfig.getoption("--broker")


@pytest.fixture(scope="session")
def _session_factory(pytestconfig, tmp_path_factory):
    f = BrokerFactory(pytestconfig, tmp_path_factory.mktemp("brokers"))
    yield f
    f.stop_all()


@pytest.fixture(scope="session")
def broker(_session_factory) -> brokers.Broker:
    """The shared broker: default settings (auto-create on, num.partitions=1). Tests
    that use it must use unique topic names and must not restart it."""
    return _session_factory.new("shared")


@pytest.fixture(scope="session")
def restricted_broker(_session_factory) -> brokers.Broker:
    """A second shared broker with auto.create.topics.enable=false and
    socket.request.max.bytes=1048576."""
    return _session_factory.new("restricted", {"auto.create.topics.enable": "false",
                                               "socket.request.max.bytes": 1048576})


@pytest.fixture
def broker_factory(pytestconfig, tmp_path):
    """For tests that restart, crash or configure a broker of their own:
    broker_factory.new(overrides={...}) starts one; all are stopped after the test."""
    f = BrokerFactory(pytestconfig, tmp_path)
    yield f
    errors = f.stop_all()
    assert not errors, "; ".join(errors)


@pytest.fixture(scope="session")
def bootstrap(broker) -> str:
    return broker.bootstrap


@pytest.fixture(scope="session")
def admin(broker):
    from harness.clients import confluent_admin
    return confluent_admin(broker.bootstrap)


def create_topic(admin_client, name, partitions=1, configs=None, timeout=30.0, broker=None):
    """Creates a topic with confluent-kafka's admin client and waits until the broker's
    metadata shows a leader for every partition (and, given the broker, until every
    partition answers a Fetch: Kafka's KRaft brokers list a leader a moment before it
    serves)."""
    from confluent_kafka.admin import NewTopic
    fut = admin_client.create_topics([NewTopic(name, partitions, 1, config=configs or {})],
                                      operation_timeout=timeout, request_timeout=timeout)
    fut[name].result(timeout)

    def ready():
        t = admin_client.list_topics(name, timeout=5).topics.get(name)
        return (t is not None and t.error is None and len(t.partitions) == partitions
                and all(p.leader >= 0 for p in t.partitions.values()))
    wait_until(ready, timeout, what=f"topic {name} with {partitions} partitions and leaders")
    if broker is not None:
        def serving():
            with wire.Connection(broker.host, broker.port) as c:
                return all(wire.fetch(c, name, p, 0).error_code == 0 for p in range(partitions))
        wait_until(serving, timeout, what=f"topic {name}: every partition answers a Fetch")
    return name


@pytest.fixture
def new_topic(admin, broker, request):
    """new_topic(partitions=1, configs=None) -> a fresh topic's name on the shared broker."""
    prefix = request.node.name.replace("[", "-").replace("]", "")[:60]

    def make(partitions=1, configs=None):
        return create_topic(admin, unique_topic(prefix), partitions, configs, broker=broker)
    return make


@pytest.fixture
def topic_name(request):
    """A unique topic name (not created)."""
    return unique_topic(request.node.name.replace("[", "-").replace("]", "")[:60])


# ----------------------------------------------------------------------------- failure logs

_LOG_MARKS = pytest.StashKey[dict]()


@pytest.fixture(autouse=True)
def _mark_broker_logs(request):
    request.node.stash[_LOG_MARKS] = {id(b): b.log_offset() for b in _STARTED}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or rep.when not in ("setup", "call"):
        return
    marks = item.stash.get(_LOG_MARKS, {})
    for b in _STARTED:
        start = marks.get(id(b), 0)
        if b.log_offset() > start:
            rep.sections.append((f"{b.kind} broker log, {b.dir} (written during this test)",
                                 b.log_tail(start_offset=start, max_lines=150)))


def pytest_sessionstart(session):
    session.config._moldau_t0 = time.monotonic()


# ----------------------------------------------------------------------------- parallel runs

# Seconds per test (setup + call + teardown) from an earlier run against Moldau, written
# with --record-durations. Under pytest-xdist (tests/run.sh runs several workers) the
# longest tests are handed out first, so that the run does not end waiting for one long
# test; a test not listed counts as 0 s. A stale file costs time, never correctness.
DURATIONS_FILE = Path(__file__).resolve().parent / "durations.txt"

# Modules whose tests share a module-scoped fixture that runs a whole client program
# (one JVM, one node process, Debian's clients): a parallel run gives all their tests to
# one worker, so that the program runs once. (xdist's own `--dist loadgroup` does not
# group with pytest 9.2, which no longer reads the item._nodeid it rewrites.)
ONE_WORKER_MODULES = frozenset({
    "test_produce_fetch_java.py",
    "test_produce_fetch_kafkajs.py",
    "test_produce_fetch_debian.py",
})


def _unit(nodeid: str) -> str:
    """What a parallel run hands to one worker: the module for ONE_WORKER_MODULES,
    else the test itself."""
    module = nodeid.split("::", 1)[0]
    return module if module in ONE_WORKER_MODULES else nodeid


def _read_durations(path: Path) -> dict:
    out = {}
    try:
        text = path.read_text()
    except OSError:
        return out
    for line in text.splitlines():
        words = line.split(None, 1)
        if len(words) == 2 and not words[0].startswith("#"):
            try:
                out[words[1].strip()] = float(words[0])
            except ValueError:
                pass
    return out


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Under xdist, longest first: units (see _unit) sorted by their total time from
    tests/durations.txt, the tests of a unit in their collection order. Every worker
    sorts the same way (xdist requires identical collections). Serial runs keep the
    collection order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    durations = _read_durations(DURATIONS_FILE)
    totals: dict = {}
    first_seen: dict = {}
    for i, item in enumerate(items):
        u = _unit(item.nodeid)
        totals[u] = totals.get(u, 0.0) + durations.get(item.nodeid, 0.0)
        first_seen.setdefault(u, i)
    keyed = sorted(enumerate(items), key=lambda p: (-totals[_unit(p[1].nodeid)],
                                                   first_seen[_unit(p[1].nodeid)], p[0]))
    items[:] = [item for _, item in keyed]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Dynamic scheduling by unit (a test, or a whole ONE_WORKER_MODULES module), in the
    order the workers collected (longest first), a new unit to a worker whenever it has
    two tests or fewer left."""
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _unit(nodeid)

    config.option.loadscopereorder = False  # keep the collection (longest-first) order
    return UnitScheduling(config, log)


_RECORDED: dict = {}


def pytest_runtest_logreport(report):
    _RECORDED[report.nodeid] = _RECORDED.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    path = session.config.getoption("--record-durations")
    if not path or hasattr(session.config, "workerinput") or not _RECORDED:
        return
    merged = _read_durations(Path(path))
    merged.update(_RECORDED)
    lines = [f"{secs:.1f} {nodeid}" for nodeid, secs in
             sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))]
    Path(path).write_text(
        "# seconds (setup + call + teardown) and pytest node id, written by\n"
        "# tests/run.sh --record-durations=durations.txt; orders parallel runs (conftest.py).\n"
        + "\n".join(lines) + "\n")
