"""The committed bundle in boxoffice/static/web/ is what web/ builds today: `npm ci` from the
lockfile, then codegen from frontend_contract/ + typecheck + Vite build into a scratch folder,
compared file by file (Vite's output is deterministic, names carry content hashes)."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import pytest

from boxoffice.web import WEB_DIR

ROOT = Path(__file__).resolve().parents[2]
WEB_SRC = ROOT / "web"
SOURCES = ["index.html", "graphiql.html", "package.json", "package-lock.json", "tsconfig.json",
           "vite.config.ts", "codegen.ts", "src"]


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:  # CI runs as root: Debian's packages
        subprocess.run(["apt-get", "install", "-y", "nodejs", "npm"], check=True,
                       capture_output=True)
        npm = shutil.which("npm")
    assert npm, "npm is not installed"
    return npm


@pytest.fixture(scope="module")
def node_modules() -> Path:
    npm = _npm()
    modules = WEB_SRC / "node_modules"
    lock = WEB_SRC / "package-lock.json"
    stamp = modules / ".package-lock.json"  # npm's own copy, rewritten by every install
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB_SRC, check=True,
                       capture_output=True, timeout=600)
    return modules


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_committed_bundle_is_built_from_the_current_sources(node_modules: Path,
                                                               tmp_path: Path) -> None:
    copy = tmp_path / "web"
    copy.mkdir()
    for name in SOURCES:
        src = WEB_SRC / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("gql"))
        else:
            shutil.copy2(src, copy / name)
    (copy / "node_modules").symlink_to(node_modules)
    shutil.copytree(ROOT / "frontend_contract", tmp_path / "frontend_contract")
    out = tmp_path / "out"
    build = subprocess.run([_npm(), "run", "build", "--", "--outDir", str(out)], cwd=copy,
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]

    assert _files(out) == _files(WEB_DIR), "stale bundle: run `make web` and commit it"
    _same, different, errors = filecmp.cmpfiles(out, WEB_DIR, _files(out), shallow=False)
    assert different == [] and errors == [], \
        f"stale bundle ({different + errors}): run `make web` and commit it"
