"""Process-local counters, exposed at /metrics in Prometheus' text format."""

from __future__ import annotations

from collections import Counter

COUNTERS: Counter[str] = Counter()


def inc(name: str, value: int = 1) -> None:
    COUNTERS[name] += value


def render() -> str:
    lines = []
    for name in sorted(COUNTERS):
        lines.append(f"# TYPE boxoffice_{name} counter")
        lines.append(f"boxoffice_{name} {COUNTERS[name]}")
    return "\n".join(lines) + "\n"
