"""deploy/grafana-boxoffice.json only queries metrics the code exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from boxoffice import metrics

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def exported() -> set[str]:
    names = {f.name for f in text_string_to_metric_families(metrics.render().decode())}
    for path in (ROOT / "boxoffice").rglob("*.py"):  # counters are created on first inc()
        for name in re.findall(r'metrics\.inc\("([a-z_]+)"', path.read_text()):
            names.add("boxoffice_" + name.removesuffix("_total"))
    return names


def test_every_dashboard_query_names_an_exported_metric():
    dashboard = json.loads((ROOT / "deploy" / "grafana-boxoffice.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {n for e in exprs for n in re.findall(r"\bboxoffice_[a-z_]+", e)}
    known = exported()
    missing = set()
    for name in used:
        base = name
        for suffix in SUFFIXES:
            base = base.removesuffix(suffix)
        if name not in known and base not in known:
            missing.add(name)
    assert used and not missing, missing
