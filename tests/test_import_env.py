"""Importing the runtime reads no configuration: with DATABASE_URL/REDIS_URL (and every other
boxoffice variable) unset, every module of boxoffice/, schema/, resolvers/, workers/, models/
and piccolo_conf imports, builds no Settings, no engine and no Redis settings, and none of
their code touches the environment while importing. Settings are read by an entry point (the
CLI, the first ASGI call of `boxoffice.asgi:app`) and passed in from there.

A fresh interpreter per check (imports are cached), whose `os.environ` records every read made
from a line of the project's runtime code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib, json, os, pkgutil, sys

ROOT = sys.argv[1]
RUNTIME = tuple(os.path.join(ROOT, p) for p in
                ("boxoffice" + os.sep, "schema" + os.sep, "resolvers" + os.sep,
                 "workers" + os.sep, "models" + os.sep, "piccolo_conf.py"))
reads = []


class Recording(type(os.environ)):
    def _note(self, key):
        frame = sys._getframe(2)
        # the code that asked (os.getenv, Mapping.get and `in` call back in here)
        while frame is not None and frame.f_code.co_filename.endswith(
                ("os.py", "<frozen os>", "_collections_abc.py",
                 "<frozen _collections_abc>")):
            frame = frame.f_back
        if frame is not None and frame.f_code.co_filename.startswith(RUNTIME):
            reads.append(f"{key} from {frame.f_code.co_filename}:{frame.f_lineno}")

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __iter__(self):
        self._note("<all>")
        return super().__iter__()


env = os.environ
os.environ = Recording(env._data, env.encodekey, env.decodekey, env.encodevalue,
                       env.decodevalue)

modules = ["piccolo_conf"]
for package in ("boxoffice", "schema", "resolvers", "workers", "models"):
    modules.append(package)
    pkg = importlib.import_module(package)
    modules += [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]
for name in modules:
    importlib.import_module(name)

from boxoffice import engine, settings
import boxoffice.asgi
import workers.settings

print(json.dumps({
    "modules": len(modules),
    "reads": reads,
    "settings_built": settings.get_settings.cache_info().currsize,
    "engine_built": engine._engine is not None,
    "asgi_app_built": boxoffice.asgi.app.app is not None,
    "worker_redis_settings": "redis_settings" in vars(workers.settings.WorkerSettings),
}))
"""


def probe() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")}
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result: dict = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_runtime_reads_no_environment() -> None:
    found = probe()
    assert found["modules"] > 100  # the walk really imported the runtime
    assert found["reads"] == []
    assert found["settings_built"] == 0
    assert not found["engine_built"]
    assert not found["asgi_app_built"]
    assert not found["worker_redis_settings"]


def test_a_bad_configuration_still_stops_the_server_at_startup() -> None:
    """The app is built at the lifespan's startup now, not at import: a configuration that
    cannot build it (an unparsable TICKET_SIGNING_KEYS) must still make uvicorn exit, not
    serve 500s."""
    env = {**os.environ, "TICKET_SIGNING_KEYS": "not-a-key", "BOXOFFICE_ENV": "dev"}
    out = subprocess.run([sys.executable, "-m", "uvicorn", "boxoffice.asgi:app",
                          "--host", "127.0.0.1", "--port", "0"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0, out.stderr
    assert "TICKET_SIGNING_KEYS" in out.stderr and "Application startup failed" in out.stderr
