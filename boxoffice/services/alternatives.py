"""Choosing seats: alternatives when asked-for seats are taken, and best seats for an offer.

Pure functions over a show's seats, so they are easy to test and never hold a lock.
Preference: a block of `n` adjacent seats in one row (adjacent = same row, x differs by 1; aisles
leave gaps in x), nearest to the target; a block that would leave a single orphan seat beside it
loses to one that does not. Without any block, the nearest free seats, same row first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SeatPos:
    label: str
    row: str
    x: int
    y: int
    free: bool


def _runs(seats: Iterable[SeatPos]) -> list[list[SeatPos]]:
    """Maximal runs of adjacent free seats, row by row."""
    by_row: dict[int, list[SeatPos]] = defaultdict(list)
    for s in seats:
        if s.free:
            by_row[s.y].append(s)
    runs: list[list[SeatPos]] = []
    for row in by_row.values():
        row.sort(key=lambda s: s.x)
        run = [row[0]]
        for s in row[1:]:
            if s.x == run[-1].x + 1:
                run.append(s)
            else:
                runs.append(run)
                run = [s]
        runs.append(run)
    return runs


def choose_seats(
    seats: Sequence[SeatPos], n: int, target: tuple[float, float] | None = None
) -> list[str]:
    """The best `n` free seats near `target` (x, y); the hall's middle when no target."""
    free = [s for s in seats if s.free]
    if n <= 0 or len(free) < n:
        return []
    if target is None:
        xs = [s.x for s in seats]
        ys = [s.y for s in seats]
        # centre horizontally, two thirds back: where people like to sit
        target = ((min(xs) + max(xs)) / 2, min(ys) + (max(ys) - min(ys)) * 2 / 3)
    tx, ty = target

    best: tuple[float, list[SeatPos]] | None = None
    for run in _runs(free):
        for start in range(len(run) - n + 1):
            block = run[start : start + n]
            cx = sum(s.x for s in block) / n
            dist = abs(cx - tx) + 1.5 * abs(block[0].y - ty)
            left, right = start, len(run) - start - n
            orphan = (left == 1) + (right == 1)
            score = dist + 4.0 * orphan
            if best is None or score < best[0]:
                best = (score, block)
    if best is not None:
        return [s.label for s in best[1]]

    def nearest(s: SeatPos) -> tuple[float, int]:
        return (abs(s.x - tx) + 1.5 * abs(s.y - ty), s.x)

    return [s.label for s in sorted(free, key=nearest)[:n]]


def target_of(seats: Sequence[SeatPos], labels: Iterable[str]) -> tuple[float, float] | None:
    wanted = set(labels)
    chosen = [s for s in seats if s.label in wanted]
    if not chosen:
        return None
    return (sum(s.x for s in chosen) / len(chosen), sum(s.y for s in chosen) / len(chosen))
