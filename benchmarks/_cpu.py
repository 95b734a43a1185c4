"""CPU time of processes on this machine, from /proc (Linux): who ate the cores during a run.

A latency figure on a shared 2-core box means little without knowing who else was running:
`CpuMeter` samples user+system time of named process groups (and of the whole machine) before
and after the measured window, so a benchmark can print CPU per event next to its latencies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle, summed over cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def pids_matching(predicate: Callable[[str], bool]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and predicate(_cmdline(int(entry.name))):
            found.append(int(entry.name))
    return found


def with_children(pids: Iterable[int]) -> list[int]:
    """The processes and their direct children (nginx's master and its workers)."""
    roots = set(pids)
    children = [int(e.name) for e in Path("/proc").iterdir()
                if e.name.isdigit() and _ppid(int(e.name)) in roots]
    return sorted(roots | set(children))


class CpuMeter:
    """CPU seconds used by each group of processes between `start()` and `stop()`."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._before: dict[str, float] = {}
        self._machine = 0.0
        self.used: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(p) for p in pids) for name, pids in self.groups.items()}

    def start(self) -> None:
        self._before = self._sample()
        self._machine = machine_busy_seconds()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        self.used = {name: after[name] - self._before[name] for name in self.groups}
        machine = machine_busy_seconds() - self._machine
        self.used["everything else on the machine"] = max(0.0, machine - sum(self.used.values()))
        return self.used

    def lines(self, events: int) -> list[str]:
        return [f"  {name:<32} {secs:6.2f} s CPU = {1000 * secs / events:6.1f} ms per event"
                for name, secs in self.used.items()]
