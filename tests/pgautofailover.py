"""A real pg_auto_failover formation for the failover test: a monitor and two data nodes.

Debian's `pg_autoctl` (package postgresql-15-auto-failover, installed here with apt-get when
missing, as the browser tests install chromium) on free loopback ports, data and pg_autoctl's
own config/state (XDG_* directories) under /var/tmp/bo-paf-*. Postgres refuses to run as root,
so as root every command runs as the `postgres` OS user (`runuser`, as tests/pgpair.py does).

The monitor's failure detection is tuned from its defaults (health check every 5 s, a node
unhealthy after 20 s without a report, 30 s for a lost primary to demote itself, ~50 s in all)
down to about 5 s, see FAST_MONITOR and docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.pgpair import BIN, free_port, kill_postmaster

PACKAGE = "postgresql-15-auto-failover"

# the monitor's GUCs (ALTER SYSTEM on a running monitor does the same); milliseconds
FAST_MONITOR = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 200,
    "pgautofailover.node_considered_unhealthy_timeout": 2000,
    # how long the monitor gives an unreachable primary to demote itself before the standby
    # takes writes; with synchronous replication it cannot acknowledge a commit meanwhile
    "pgautofailover.primary_demote_timeout": 2000,
    # failures are not acted on this long after the monitor (re)starts
    "pgautofailover.startup_grace_period": 1000,
}


def ensure_pg_autoctl() -> str:
    """The pg_autoctl binary, installed from Debian's packages when missing (CI runs as root)."""
    path = shutil.which("pg_autoctl")
    if path is None:
        install = ["apt-get", "install", "-y", "--no-install-recommends", PACKAGE]
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True, capture_output=True)
            subprocess.run(install, env=env, check=True, capture_output=True)
        path = shutil.which("pg_autoctl")
    assert path, f"pg_autoctl is not installed and apt-get could not install {PACKAGE}"
    return path


@dataclass
class Node:
    name: str
    data: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def running_postmaster(self) -> int | None:
        """The postmaster's pid if it still runs: postmaster.pid outlives a SIGKILL, and its
        number may since belong to another process."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = self.pid()
            if str(self.data).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        return None


@dataclass
class Formation:
    base: Path
    pg_autoctl: str
    monitor: Node
    nodes: list[Node] = field(default_factory=list)

    @property
    def monitor_url(self) -> str:
        return (f"postgres://autoctl_node@127.0.0.1:{self.monitor.port}/pg_auto_failover"
                "?sslmode=disable")

    def _env(self) -> dict[str, str]:
        # pg_autoctl keeps its config and state under XDG_CONFIG_HOME/XDG_DATA_HOME
        return {"PATH": f"{BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.base),
                "XDG_CONFIG_HOME": str(self.base / "config"),
                "XDG_DATA_HOME": str(self.base / "share"),
                "XDG_RUNTIME_DIR": str(self.base / "run"), "PG_CONFIG": str(BIN / "pg_config")}

    def _cmd(self, args: list[str]) -> list[str]:
        cmd = ["env", *(f"{k}={v}" for k, v in self._env().items()), self.pg_autoctl, *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def autoctl(self, *args: str, timeout: float = 120) -> str:
        proc = subprocess.run(self._cmd(list(args)), capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stderr[-3000:]}")
        return proc.stdout

    def run(self, node: Node) -> None:
        """`pg_autoctl run` for a node: its keeper, which starts and supervises its Postgres.
        In its own process group, so that it can be lost like a machine (kill_node)."""
        with node.log.open("ab") as out:
            node.proc = subprocess.Popen(self._cmd(["run", "--pgdata", str(node.data)]),
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def add_node(self, name: str, dbname: str) -> Node:
        node = Node(name, self.base / name, free_port())
        self.autoctl("create", "postgres", "--pgdata", str(node.data), "--pgport",
                     str(node.port), "--pgctl", str(BIN / "pg_ctl"), "--hostname", "127.0.0.1",
                     "--listen", "127.0.0.1", "--name", name, "--dbname", dbname,
                     "--auth", "trust", "--no-ssl", "--monitor", self.monitor_url)
        self.nodes.append(node)
        self.run(node)
        return node

    def states(self) -> dict[str, tuple[str, str]]:
        """node name -> (reported state, assigned state), from the monitor."""
        out = self.autoctl("show", "state", "--pgdata", str(self.monitor.data), "--json")
        return {n["nodename"]: (n["current_group_state"], n["assigned_group_state"])
                for n in json.loads(out)}

    def wait_states(self, wanted: dict[str, str], timeout: float = 60) -> None:
        """Until every named node reports (and is assigned) the wanted state."""
        deadline = time.monotonic() + timeout
        states: dict[str, tuple[str, str]] = {}
        while time.monotonic() < deadline:
            states = self.states()
            if all(states.get(n) == (s, s) for n, s in wanted.items()):
                return
            time.sleep(0.2)
        raise TimeoutError(f"formation states {states}, wanted {wanted}\n{self.logs()}")

    def kill_node(self, node: Node) -> None:
        """A lost machine: SIGKILL the node's keeper (pg_autoctl and its services) and its
        Postgres with every backend. Killing Postgres alone is no failover: the keeper restarts
        it within a second or two on the same node."""
        postmaster = node.running_postmaster()
        assert node.proc is not None and postmaster is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.proc.pid, signal.SIGKILL)
        kill_postmaster(postmaster)
        node.proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {n.name}\n{n.log.read_text(errors='replace')[-1500:]}"
                         for n in [self.monitor, *self.nodes] if n.log.exists())

    def stop(self) -> None:
        for node in [*self.nodes, self.monitor]:
            if node.proc is not None and node.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.proc.pid, signal.SIGQUIT)  # pg_autoctl: immediate stop
        for node in [*self.nodes, self.monitor]:
            if node.proc is None:
                continue
            try:
                node.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.proc.pid, signal.SIGKILL)
            postmaster = node.running_postmaster()
            if postmaster is not None:  # a Postgres that outlived its keeper
                kill_postmaster(postmaster)


@contextlib.contextmanager
def formation(tag: str, dbname: str) -> Iterator[Formation]:
    """A monitor (tuned by FAST_MONITOR) and two data nodes, `node1` primary and `node2` its
    synchronous standby, both serving database `dbname`."""
    pg_autoctl = ensure_pg_autoctl()
    base = Path(tempfile.mkdtemp(prefix=f"bo-paf-{tag}-", dir="/var/tmp"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    f = Formation(base, pg_autoctl, Node("monitor", base / "monitor", free_port()))
    try:
        f.autoctl("create", "monitor", "--pgdata", str(f.monitor.data), "--pgport",
                  str(f.monitor.port), "--pgctl", str(BIN / "pg_ctl"), "--hostname", "127.0.0.1",
                  "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl")
        conf = f.monitor.data / "postgresql.auto.conf"  # what ALTER SYSTEM writes
        with conf.open("a") as out:
            out.writelines(f"{k} = {v}\n" for k, v in FAST_MONITOR.items())
        f.run(f.monitor)
        f.add_node("node1", dbname)
        f.wait_states({"node1": "single"})
        f.add_node("node2", dbname)
        f.wait_states({"node1": "primary", "node2": "secondary"})
        yield f
    finally:
        f.stop()
        shutil.rmtree(base, ignore_errors=True)
