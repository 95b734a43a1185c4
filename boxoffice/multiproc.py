"""The shared metrics folder of prometheus_client's multiprocess mode, set up by the launchers.

Whoever starts several processes owns the folder and empties it at start (stale files of a
previous run would otherwise be summed in): `boxoffice serve --workers N` (N > 1; a fresh
temporary folder unless PROMETHEUS_MULTIPROC_DIR names one) and `boxoffice cluster` (in its run
directory). A single `serve` or `worker` started with PROMETHEUS_MULTIPROC_DIR already set
(under `cluster`, or your own process manager) uses that folder as it is.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def fresh_dir(path: Path) -> Path:
    """Empty (or create) `path` and point this process's children at it (prometheus_client,
    which picks its value store at import, is never imported by a launcher itself)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ[ENV] = str(path)
    return path


def for_serve(workers: int) -> str | None:
    """`serve`: one process uses an inherited folder as it is (or none: prometheus_client's
    in-memory mode); several workers empty the inherited folder, or get a fresh temporary one
    removed at exit."""
    inherited = os.environ.get(ENV)
    if workers <= 1:
        if inherited:
            Path(inherited).mkdir(parents=True, exist_ok=True)
        return inherited or None
    if inherited:
        return str(fresh_dir(Path(inherited)))
    path = fresh_dir(Path(tempfile.mkdtemp(prefix="boxoffice-metrics-")))
    atexit.register(shutil.rmtree, path, True)
    return str(path)
