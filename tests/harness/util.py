"""Small helpers shared by the tests: names, bounded waits, bounded subprocesses."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = TESTS_DIR.parent


def unique_topic(prefix: str = "t") -> str:
    """A topic name no other test uses: prefix + 8 hex digits (legal Kafka characters only)."""
    prefix = re.sub(r"[^a-zA-Z0-9._-]", "-", prefix)[:180]
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_until(fn, timeout=10.0, interval=0.1, what="condition"):
    """Calls fn() until it returns a truthy value (returned) or `timeout` seconds pass
    (AssertionError naming `what` and the last value or exception)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - reported if the wait fails
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


class Result:
    def __init__(self, cmd, returncode, stdout, stderr, seconds):
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def describe(self) -> str:
        return (f"$ {' '.join(map(str, self.cmd))}\n(exit {self.returncode} after {self.seconds:.1f}s)\n"
                f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}")

    def check(self, what="command"):
        assert self.returncode == 0, f"{what} failed:\n{self.describe()}"
        return self


def run(cmd, timeout=60, input=None, env=None, cwd=None) -> Result:
    """Runs a command with a deadline; never raises on a non-zero exit (see Result.check)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    t0 = time.monotonic()
    try:
        p = subprocess.run([str(c) for c in cmd], input=input, capture_output=True, text=True,
                           timeout=timeout, env=full_env, cwd=cwd,
                           stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise AssertionError(f"$ {' '.join(map(str, cmd))}\ntimed out after {timeout}s\n"
                             f"--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-4000:]}") from None
    return Result(cmd, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)


def kafka_tool(tool: str, *args, timeout=60, input=None) -> Result:
    """Runs one of Kafka's CLI tools (tests/kafka_tool.sh) with a deadline."""
    return run(["bash", TESTS_DIR / "kafka_tool.sh", tool, *args], timeout=timeout, input=input)
