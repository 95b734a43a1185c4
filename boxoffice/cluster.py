"""`boxoffice cluster`: nginx in front of N `boxoffice serve` processes plus M workers, on one
machine, under honcho (a Procfile runner): for demos, tests and as the shape of a deployment.

It renders `deploy/nginx-cluster.conf.template` and a Procfile into a run directory, starts
`honcho start` on them, waits until every API process and nginx answer `/readyz`, prints
`cluster ready <url>` and then waits for honcho (Ctrl-C or SIGTERM stops everything; honcho
also stops the whole set when any one process exits, so a broken process is never hidden).
An API process that dies after start-up (a crash, an OOM kill) is restarted a second later by
its Procfile line, as systemd's Restart=always would: meanwhile nginx sends its requests and
reconnecting websockets to the others, and the rest of the cluster stays up. One that cannot
start at all still fails the launch (every process must answer /readyz within 60 s).
Every process gets the launcher's environment (DATABASE_URL, REDIS_URL, SECRET_KEY, …).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from boxoffice.multiproc import fresh_dir

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx-cluster.conf.template"


@dataclass(frozen=True)
class ClusterPlan:
    port: int  # nginx
    api_ports: tuple[int, ...]
    workers: int
    run_dir: Path
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def plan(api: int, workers: int, port: int, run_dir: Path, api_base_port: int = 0,
         host: str = "127.0.0.1") -> ClusterPlan:
    """Ports: nginx on `port` (0: a free one); API processes on api_base_port, +1, … (0: free
    ones)."""
    if api < 1 or workers < 0:
        raise ValueError("need at least one API process and a non-negative worker count")
    api_ports = (tuple(api_base_port + i for i in range(api)) if api_base_port
                 else tuple(free_port(host) for _ in range(api)))
    return ClusterPlan(port or free_port(host), api_ports, workers, run_dir.resolve(), host)


def render_nginx_conf(p: ClusterPlan) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                        for port in p.api_ports)
    values = {
        "listen": f"{p.host}:{p.port}",
        "upstream_servers": servers,
        "run_dir": str(p.run_dir),
        # as root, nginx's workers would run as nobody, who cannot write the temp folders here
        "user_directive": "user root root;" if os.geteuid() == 0 else "",
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise ValueError("nginx template has an unfilled placeholder")
    return text


def render_procfile(p: ClusterPlan) -> str:
    bin_dir = Path(sys.executable).parent
    boxoffice = bin_dir / "boxoffice"
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    lines = [f"api{i + 1}: while :; do {boxoffice} serve --host 127.0.0.1 --port {port}; "
             f"echo 'api{i + 1} exited; restarting in 1 s' >&2; sleep 1; done"
             for i, port in enumerate(p.api_ports)]
    lines += [f"worker{i + 1}: exec {boxoffice} worker" for i in range(p.workers)]
    lines.append(f"nginx: exec {nginx} -p {p.run_dir} -c {p.run_dir}/nginx.conf "
                 f"-e {p.run_dir}/nginx-error.log")
    return "\n".join(lines) + "\n"


def write_run_dir(p: ClusterPlan) -> Path:
    """nginx.conf, Procfile and nginx's temp folders; returns the Procfile's path."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (p.run_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    (p.run_dir / "nginx.conf").write_text(render_nginx_conf(p))
    procfile = p.run_dir / "Procfile"
    procfile.write_text(render_procfile(p))
    return procfile


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=1) as resp:
            return int(resp.status) == 200
    except OSError:
        return False


def wait_ready(p: ClusterPlan, honcho: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    urls = [f"http://127.0.0.1:{port}" for port in p.api_ports] + [p.url]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and honcho.poll() is None:
        if all(_ready(u) for u in urls):
            return True
        time.sleep(0.2)
    return False


def run(p: ClusterPlan) -> int:
    honcho = shutil.which("honcho", path=str(Path(sys.executable).parent)) or shutil.which(
        "honcho")
    if honcho is None:
        print("boxoffice cluster: honcho is missing: pip install -e '.[cluster]'",
              file=sys.stderr)
        return 2
    procfile = write_run_dir(p)
    # every API process and worker writes its metrics here; a scrape of any one shows all
    fresh_dir(p.run_dir / "prometheus")
    child = subprocess.Popen([honcho, "start", "--no-colour", "-f", str(procfile),
                              "-d", str(p.run_dir)], start_new_session=True)

    def stop(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if wait_ready(p, child):
        ports = " ".join(str(port) for port in p.api_ports)
        print(f"cluster ready {p.url}/graphql api-ports {ports} workers {p.workers}", flush=True)
    elif child.poll() is None:
        print("boxoffice cluster: processes not ready within 60 s; stopping", file=sys.stderr)
        stop(signal.SIGTERM, None)
    code = child.wait()
    return code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="boxoffice cluster")
    add_arguments(ap)
    return run_from_args(ap.parse_args(argv))


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--api", type=int, default=2, help="API processes (default 2)")
    ap.add_argument("--workers", type=int, default=1, help="arq workers (default 1)")
    ap.add_argument("--host", default="127.0.0.1", help="nginx listen address")
    ap.add_argument("--port", type=int, default=8080, help="nginx port (0: a free one)")
    ap.add_argument("--api-port", type=int, default=0,
                    help="first API process port, the others follow (default: free ports)")
    ap.add_argument("--run-dir", type=Path, default=ROOT / ".run" / "cluster",
                    help="where nginx.conf, the Procfile and nginx's logs go")


def run_from_args(args: argparse.Namespace) -> int:
    return run(plan(args.api, args.workers, args.port, args.run_dir, args.api_port, args.host))


if __name__ == "__main__":
    raise SystemExit(main())
