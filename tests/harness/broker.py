"""Start, wait for, restart, kill and stop a broker under test.

Two kinds share one interface:
  MoldauBroker  `<MOLDAU_BIN> broker --config <dir>/server.properties key=value ...`
  KafkaBroker   Apache Kafka from the Maven Central jars (scripts/install-kafka.sh),
                single node in KRaft combined mode, its data dir formatted first.
Each broker owns a directory: server.properties, data/, broker.log (stdout+stderr of
every start, appended).
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from . import wire

HOST = "127.0.0.1"
TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = TESTS_DIR.parent
KAFKA_TOOL = TESTS_DIR / "kafka_tool.sh"


class BrokerError(Exception):
    pass


def _die_with_parent():
    """In the child before exec: SIGKILL it if the test process dies, so that an
    interrupted run leaves no broker behind (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


_HANDED_OUT: set = set()


def _port_range() -> tuple[int, int]:
    """20000-32000, or under pytest-xdist this worker's share of it: workers never hand
    out the same port, so a port one of them holds between a broker's stop and its
    restart (or between choosing and binding) cannot be taken by another."""
    lo, hi = 20000, 32000
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    try:
        count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        index = int(worker[2:]) if worker.startswith("gw") else 0
    except ValueError:
        return lo, hi
    if count > 1 and 0 <= index < count:
        span = (hi - lo) // count
        lo += index * span
        hi = lo + span
    return lo, hi


def free_port() -> int:
    """A port that is free now, outside Linux's ephemeral range (32768-60999) so that
    clients' outgoing connections cannot take it before the broker binds it, and never
    the same twice in one test run (nor in two workers of one run)."""
    lo, hi = _port_range()
    for _ in range(200):
        port = random.randrange(lo, hi)
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise BrokerError(f"no free port found in {lo}-{hi}")


def tail(path: Path, max_lines=200, start_offset=0) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(start_offset)
            data = f.read()
    except OSError as e:
        return f"<no log: {e}>"
    lines = data.decode(errors="replace").splitlines()
    if len(lines) > max_lines:
        lines = [f"... ({len(lines) - max_lines} earlier lines in {path})"] + lines[-max_lines:]
    return "\n".join(lines)


class Broker:
    kind = "?"
    start_timeout = 30.0
    stop_timeout = 30.0

    def __init__(self, workdir: Path, overrides: dict | None = None, port: int | None = None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.dir / "data"
        self.log_path = self.dir / "broker.log"
        self.config_path = self.dir / "server.properties"
        self.overrides = {k: str(v) for k, v in (overrides or {}).items()}
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.last_exit_code: int | None = None

    # -- addresses
    @property
    def host(self):
        return HOST

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def node_id(self) -> int:
        return 1

    def log_offset(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tail(self, start_offset=0, max_lines=200) -> str:
        return tail(self.log_path, max_lines, start_offset)

    # -- life cycle
    def command(self) -> list:
        raise NotImplementedError

    def prepare(self):
        """Writes the config (and formats storage) before the first start."""
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    def start(self, timeout: float | None = None):
        if self.proc and self.proc.poll() is None:
            raise BrokerError("broker already running")
        if self.starts > 0:
            return self._start(timeout)
        # First start: if another process took one of our ports in the meantime, begin
        # again with new ports and an empty directory.
        for attempt in range(3):
            self.prepare()
            try:
                return self._start(timeout)
            except BrokerError:
                if attempt == 2 or not self._lost_a_port():
                    raise
                self.starts = 0
                self.new_ports()
                shutil.rmtree(self.data_dir, ignore_errors=True)

    def _lost_a_port(self) -> bool:
        text = self.log_tail(max_lines=400).lower()
        return "address already in use" in text or "bindexception" in text

    def new_ports(self):
        self.port = free_port()

    def _start(self, timeout):
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start #{self.starts}: {' '.join(map(str, self.command()))}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir, env=self.env(),
                                         start_new_session=True, preexec_fn=_die_with_parent)
        self.wait_ready(timeout or self.start_timeout)
        return self

    def wait_ready(self, timeout: float):
        """Ready = the port accepts, ApiVersions answers and Metadata lists this broker."""
        deadline = time.monotonic() + timeout
        last_error = "not tried"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError(f"{self.kind} broker exited with status {self.proc.returncode} "
                                  f"during start-up; log:\n{self.log_tail(max_lines=60)}")
            try:
                with wire.Connection(HOST, self.port, timeout=5) as c:
                    av = wire.api_versions(c, 0)
                    if av.error_code != 0:
                        raise BrokerError(f"ApiVersions error {av.error_code}")
                    md = wire.metadata(c, [], version=1)
                    if self.node_id in md.brokers:
                        return
                    last_error = f"metadata lists brokers {sorted(md.brokers)}"
            except (OSError, wire.WireError, BrokerError) as e:
                last_error = f"{type(e).__name__}: {e}"
            time.sleep(0.2)
        self.kill()
        raise BrokerError(f"{self.kind} broker not ready on {self.bootstrap} after {timeout}s "
                          f"({last_error}); log:\n{self.log_tail(max_lines=60)}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in time (then raise)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout or self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                self.last_exit_code = self.proc.returncode
                self.proc = None
                raise BrokerError(f"{self.kind} broker ignored SIGTERM for {timeout or self.stop_timeout}s; killed")
        self.last_exit_code = self.proc.returncode
        self.proc = None
        return self.last_exit_code

    def kill(self):
        """SIGKILL: a crash, no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc:
            self.last_exit_code = self.proc.returncode
        self.proc = None

    def restart(self, timeout: float | None = None):
        self.stop()
        return self.start(timeout)

    def crash_restart(self, timeout: float | None = None):
        self.kill()
        return self.start(timeout)

    def write_properties(self, props: dict):
        lines = [f"{k}={v}" for k, v in props.items()]
        self.config_path.write_text("\n".join(lines) + "\n")

    def describe(self) -> str:
        return f"{self.kind} broker at {self.bootstrap} (dir {self.dir})"


class MoldauBroker(Broker):
    kind = "moldau"
    start_timeout = 30.0
    stop_timeout = 20.0

    def __init__(self, workdir, binary: str, overrides=None, port=None):
        super().__init__(workdir, overrides, port)
        self.binary = str(binary)

    def prepare(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise BrokerError(f"moldau binary not found or not executable: {self.binary} "
                              f"(build it with `make build`, or set MOLDAU_BIN)")
        self.write_properties({
            "node.id": 1,
            "listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "log.dirs": self.data_dir,
            "num.partitions": 1,
            "auto.create.topics.enable": "true",
        })

    def command(self):
        return [self.binary, "broker", "--config", str(self.config_path),
                *[f"{k}={v}" for k, v in self.overrides.items()]]


class KafkaBroker(Broker):
    kind = "kafka"
    start_timeout = 90.0
    stop_timeout = 45.0

    def __init__(self, workdir, overrides=None, port=None, version=None):
        super().__init__(workdir, overrides, port)
        self.controller_port = free_port()
        self.version = version or os.environ.get("KAFKA_VERSION", "4.3.1")

    def env(self):
        env = dict(os.environ)
        env["KAFKA_VERSION"] = self.version
        return env

    def new_ports(self):
        self.port = free_port()
        self.controller_port = free_port()

    def prepare(self):
        props = {
            "process.roles": "broker,controller",
            "node.id": 1,
            "controller.quorum.voters": f"1@{HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": self.data_dir,
            "num.partitions": 1,
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
        }
        props.update(self.overrides)
        self.write_properties(props)
        # A cluster id starting with '-' would be read as an option by
        # kafka-storage's argument parser (about 1 run in 64): draw again.
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        with open(self.log_path, "ab") as log:
            log.write(b"===== kafka-storage format\n")
            log.flush()
            rc = subprocess.run(["bash", str(KAFKA_TOOL), "kafka-storage", "format", "-t", cluster_id,
                                 "-c", str(self.config_path)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=self.env(), timeout=120).returncode
        if rc != 0:
            raise BrokerError(f"kafka-storage format failed ({rc}); log:\n{self.log_tail(max_lines=40)}")

    def command(self):
        return ["bash", str(KAFKA_TOOL), "kafka-server-start", str(self.config_path)]


def make_broker(kind: str, workdir: Path, overrides=None, moldau_bin=None) -> Broker:
    if kind == "moldau":
        return MoldauBroker(workdir, moldau_bin, overrides)
    if kind == "kafka":
        return KafkaBroker(workdir, overrides)
    raise ValueError(f"unknown broker kind {kind!r}")
