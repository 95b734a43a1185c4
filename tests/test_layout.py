"""The README's Layout is true: it names every module and folder, each in one of its homes, and
the homes depend one way — the domain never imports the API, the infrastructure neither, and
nothing `serve` or `worker` runs imports the developer tooling (only the `boxoffice` command
does, for `dev` and `seed-demo`)."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_PATH = re.compile(r"^[\w.-]+(/[\w.-]+)*(\.py|/)$")


def layout() -> dict[str, list[str]]:
    """Home (the header's first word: API, Domain, …) → the paths its lines start with.

    A line names paths until its first word that is not one; the names after the first are in
    its folder (`boxoffice/ids.py echo.py`, `tests/ api/`)."""
    text = README.read_text()
    block = text[text.index("## Layout"):].split("```")[1]
    homes: dict[str, list[str]] = {}
    home = ""
    for line in block.splitlines()[1:]:
        if line and not line.startswith(" "):
            home = line.split()[0].rstrip(":")
            homes[home] = []
            continue
        words = line.split()
        first = words[0] if words and _PATH.match(words[0]) else None
        if first is None:
            continue  # a description carried over from the line above
        folder = first if first.endswith("/") else first.rpartition("/")[0] + "/"
        homes[home].append(first)
        for word in words[1:]:
            if not _PATH.match(word):
                break
            homes[home].append(folder.lstrip("/") + word)
    return homes


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()


def test_the_layout_names_real_paths_and_every_module() -> None:
    homes = layout()
    assert {"API", "Domain", "Infrastructure", "Running", "Developer"} <= homes.keys(), homes
    named = [p for paths in homes.values() for p in paths]
    assert [p for p in named if not (ROOT / p).exists()] == []
    assert len(named) == len(set(named)), "a path in two homes"
    tracked = _tracked()
    top = {f.split("/")[0] + "/" for f in tracked if "/" in f and not f.startswith(".")}
    package = {f.split("/")[1] + ("/" if f.count("/") > 1 else "")
               for f in tracked if f.startswith("boxoffice/")} - {"__init__.py"}
    wanted = sorted(top) + sorted(f"boxoffice/{m}" for m in package)
    missing = [w for w in wanted if not any(n.startswith(w) for n in named)]
    assert missing == [], "README Layout does not name these"


def _modules(paths: list[str]) -> dict[str, Path]:
    """Dotted name → file, for the Python files under `paths`."""
    files: list[Path] = []
    for p in paths:
        target = ROOT / p
        files += sorted(target.rglob("*.py")) if target.is_dir() else (
            [target] if target.suffix == ".py" else [])
    return {".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): f
            for f in files}


def _imports(file: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _violations(importers: dict[str, Path], forbidden: set[str]) -> list[str]:
    return [f"{name} imports {m}" for name, file in importers.items()
            for m in sorted(_imports(file))
            if m in forbidden or any(m.startswith(f + ".") for f in forbidden)]


def test_the_homes_depend_one_way() -> None:
    homes = {home: _modules(paths) for home, paths in layout().items()}
    api, domain, infra = set(homes["API"]), set(homes["Domain"]), set(homes["Infrastructure"])
    assert api and domain and infra
    assert _violations(homes["Domain"], api) == []
    assert _violations(homes["Infrastructure"], api | domain) == []
    runtime = {**homes["API"], **homes["Domain"], **homes["Infrastructure"]}
    assert _violations(runtime, {"devtools", "tests", "benchmarks"}) == []


def test_the_dependency_check_can_fail() -> None:
    services = _modules(["boxoffice/services"])
    assert _violations(services, {"boxoffice.services.outcomes"})  # they do import it
