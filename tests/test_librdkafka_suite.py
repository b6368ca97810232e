"""librdkafka's own test suite (Debian's librdkafka 2.0.2 source, tests/) against Moldau.

scripts/librdkafka-tests.sh fetches and builds the suite (cached under
$MOLDAU_CACHE, default ~/.cache/moldau); each test number in
tests/librdkafka/tests.txt that is not in tests/librdkafka/skip-list.txt becomes one
pytest item, run against a fresh broker set up like the suite's scenario for it
("default": auto-create on, num.partitions=4; "noautocreate": auto-create off).
See tests/librdkafka/README.md.

    tests/run.sh -m librdkafka
    tests/run.sh -m librdkafka -k 0017       # one librdkafka test
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from harness.util import REPO_DIR

SCRIPT = REPO_DIR / "scripts" / "librdkafka-tests.sh"
SUITE_DIR = REPO_DIR / "tests" / "librdkafka"
# Per librdkafka test: the script kills a test-runner after this many seconds.
PER_TEST_TIMEOUT = int(os.environ.get("LIBRDKAFKA_TEST_TIMEOUT", "150"))
# The first build (fetch + configure + compile) on a busy 2-core machine.
BUILD_TIMEOUT = 3600

pytestmark = pytest.mark.librdkafka


def _ids(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.split()[0])
    return out


def _tests_to_run() -> list:
    """(test number, scenario) for every number in tests.txt not in skip-list.txt."""
    skip = set(_ids(SUITE_DIR / "skip-list.txt"))
    out = []
    for line in (SUITE_DIR / "tests.txt").read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#") or words[0] in skip:
            continue
        scenario = next((w.split("=", 1)[1] for w in words if w.startswith("scenario=")), "default")
        out.append(pytest.param(words[0], scenario, id=words[0]))
    return out


_ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\(B")


def _tail(path: Path, lines: int = 80) -> str:
    try:
        text = _ANSI.sub("", path.read_text(errors="replace"))
    except OSError as e:
        return f"<no output: {e}>"
    # The runner prints "N test(s) running" every second; those lines say nothing.
    kept = [ln for ln in text.splitlines() if "test(s) running:" not in ln]
    if len(kept) > lines:
        kept = [f"... ({len(kept) - lines} earlier lines in {path})"] + kept[-lines:]
    return "\n".join(kept)


@pytest.fixture(scope="session")
def librdkafka_suite(pytestconfig):
    """Builds librdkafka and its test-runner once (cached across runs). Session-scoped
    so that, when a parallel run interleaves these tests with others, nothing is set up
    again; several workers calling the script at once wait for one build (flock)."""
    t0 = time.monotonic()
    proc = subprocess.run(["bash", str(SCRIPT), "build"], capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT)
    secs = time.monotonic() - t0
    if proc.returncode != 0:
        pytest.fail(f"scripts/librdkafka-tests.sh build failed (exit {proc.returncode}) "
                    f"after {secs:.0f} s:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    built = "built in" in proc.stderr
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    msg = (f"librdkafka test suite: {'built' if built else 'cached build found'} "
           f"in {secs:.0f} s")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(msg)
    return msg


# The suite's scenarios (tests/scenarios/*.json in its source) as broker settings.
# A scenario broker serves every test of its worker for the whole run, past the first
# time-based retention check (log.retention.check.interval.ms, 5 minutes by default, as
# in Kafka): some tests (0059_bsearch) produce records stamped in 1970, which that
# check deletes (as Kafka's would) if it falls while the test reads them back. A day
# keeps the check out of the run; retention itself is not what these tests check.
_NO_RETENTION_CHECK = {"log.retention.check.interval.ms": 86400000}
SCENARIOS = {
    "default": {"num.partitions": 4, "auto.create.topics.enable": "true", **_NO_RETENTION_CHECK},
    "noautocreate": {"num.partitions": 4, "auto.create.topics.enable": "false", **_NO_RETENTION_CHECK},
}


@pytest.fixture(scope="session")
def scenario_brokers(_session_factory):
    """One fresh broker per scenario, started when a test of that scenario first needs it."""
    made = {}

    def get(scenario):
        if scenario not in made:
            made[scenario] = _session_factory.new(f"librdkafka-{scenario}", SCENARIOS[scenario])
        return made[scenario]
    return get


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("librdkafka-out")


@pytest.mark.timeout(BUILD_TIMEOUT + PER_TEST_TIMEOUT + 60)
@pytest.mark.parametrize("test_id,scenario", _tests_to_run())
def test_librdkafka(test_id, scenario, librdkafka_suite, scenario_brokers, out_dir):
    broker = scenario_brokers(scenario)
    env = dict(os.environ, LIBRDKAFKA_TEST_OUT=str(out_dir), TEST_SCENARIO=scenario,
               LIBRDKAFKA_TEST_TIMEOUT=str(PER_TEST_TIMEOUT))
    proc = subprocess.run(["bash", str(SCRIPT), "run", broker.bootstrap, test_id],
                          capture_output=True, text=True, env=env, timeout=PER_TEST_TIMEOUT + 120)
    result = proc.stdout.strip()
    if proc.returncode != 0 or not result.startswith("PASS"):
        pytest.fail(f"librdkafka test {test_id} (scenario {scenario}) against {broker.bootstrap}:\n"
                    f"{result}\n{proc.stderr[-2000:]}\n"
                    f"--- test-runner output (tail) ---\n{_tail(out_dir / f'{test_id}.log')}",
                    pytrace=False)
