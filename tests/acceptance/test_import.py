"""`boxoffice import FILE.json`: load a catalog keyed by the file's ids, print `show <file id>
<ID>` per show, idempotent, a bad file changes nothing and names the first bad entry."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance import ops
from tests.acceptance.conftest import World
from tests.acceptance.support import cli

IST = timezone(timedelta(hours=5, minutes=30))


def catalog(starts: datetime, on_sale: datetime | None = None) -> dict[str, Any]:
    return {
        "cities": [{"id": "acc-avl", "name": "Acceptville"}],
        "movies": [{"id": "acc-movie", "title": "The Acceptance Criteria", "rating": 7.7,
                    "durationMinutes": 111, "languages": ["English"], "genres": ["Drama"]}],
        "cinemas": [{"id": "acc-cine", "city": "acc-avl", "name": "Acceptance Odeon",
                     "postalCode": "999001", "lat": 10.5, "lng": 76.2,
                     "halls": [{"id": "h1", "name": "Hall One", "rows": [
                         {"row": "A", "seats": 4, "category": "CLASSIC", "price": 15000},
                         {"row": "B", "seats": 6, "category": "PRIME", "price": 25000}]}]}],
        "shows": [
            {"id": "acc-s1", "movie": "acc-movie", "cinema": "acc-cine", "hall": "h1",
             "startsAt": starts.isoformat(), "onSaleAt": None, "currency": "INR"},
            {"id": "acc-s2", "movie": "acc-movie", "cinema": "acc-cine", "hall": "h1",
             "startsAt": (starts + timedelta(hours=3)).isoformat(),
             "onSaleAt": on_sale.isoformat() if on_sale else None, "currency": "INR"},
        ],
    }


def write(tmp_path: Path, name: str, content: dict[str, Any]) -> Path:
    path = tmp_path / name
    # one show / entry a line, so a "line" in an error message points at one entry
    lines = ["{"]
    for i, (section, entries) in enumerate(content.items()):
        lines.append(f'"{section}": [')
        lines += [json.dumps(e) + ("," if j < len(entries) - 1 else "")
                  for j, e in enumerate(entries)]
        lines.append("]" + ("," if i < len(content) - 1 else ""))
    lines.append("}")
    path.write_text("\n".join(lines))
    json.loads(path.read_text())
    return path


def imported(out: str) -> dict[str, str]:
    found = {}
    for line in out.splitlines():
        m = re.fullmatch(r"show (\S+) (\S+)", line.strip())
        if m:
            found[m[1]] = m[2]
    return found


@pytest.fixture(scope="module")
def starts() -> datetime:
    day = datetime.now(IST).date() + timedelta(days=2)
    return datetime(day.year, day.month, day.day, 18, 30, tzinfo=IST)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, starts: datetime,
           world: World) -> dict[str, str]:
    path = write(tmp_path_factory.mktemp("catalog"), "catalog.json", catalog(starts))
    done = cli("import", str(path))
    assert done.returncode == 0, done.stderr[-2000:]
    ids = imported(done.stdout)
    assert set(ids) == {"acc-s1", "acc-s2"}, done.stdout
    return ids


async def test_imported_shows_are_browsable(world: World, loaded: dict[str, str],
                                            starts: datetime) -> None:
    show = (await world.main(ops.SHOW, {"id": loaded["acc-s1"]}))["show"]
    assert show["totalSeats"] == 10 == show["availableSeats"] and show["hallName"] == "Hall One"
    assert datetime.fromisoformat(show["startsAt"]) == starts
    assert show["movie"]["title"] == "The Acceptance Criteria"
    assert show["cinema"]["name"] == "Acceptance Odeon" and show["cinema"]["city"] == "Acceptville"
    seats = {s["label"]: s for s in show["seatMap"]["seats"]}
    assert set(seats) == {f"A-{n}" for n in range(1, 5)} | {f"B-{n}" for n in range(1, 7)}
    assert seats["A-4"]["price"] == 15000 and seats["A-4"]["category"] == "CLASSIC"
    assert seats["B-6"]["price"] == 25000 and seats["B-6"]["currency"] == "INR"
    assert "Acceptville" in {c["name"] for c in (await world.main(ops.CITIES))["cities"]}
    found = (await world.main(ops.SEARCH, {"input": {"keyword": "acceptance crit",
                                                     "first": 10}}))["search"]
    assert {e["node"]["showId"] for e in found["edges"]} == set(loaded.values())
    by_city = (await world.main(ops.SEARCH, {"input": {"city": "Acceptville"}}))["search"]
    assert by_city["totalCount"] == 2


async def test_reimporting_the_same_file_changes_nothing(
        world: World, loaded: dict[str, str], starts: datetime, tmp_path: Path) -> None:
    before = (await world.main(ops.SHOW, {"id": loaded["acc-s1"]}))["show"]
    cities = (await world.main(ops.CITIES))["cities"]
    done = cli("import", str(write(tmp_path, "again.json", catalog(starts))))
    assert done.returncode == 0, done.stderr[-2000:]
    assert imported(done.stdout) == loaded
    assert (await world.main(ops.SHOW, {"id": loaded["acc-s1"]}))["show"] == before
    assert (await world.main(ops.CITIES))["cities"] == cities


async def test_a_changed_show_time_is_updated_while_it_has_no_holds(
        world: World, loaded: dict[str, str], starts: datetime, tmp_path: Path) -> None:
    changed = catalog(starts)
    later = starts + timedelta(minutes=15)
    changed["shows"][1]["startsAt"] = (later + timedelta(hours=3)).isoformat()
    done = cli("import", str(write(tmp_path, "changed.json", changed)))
    assert done.returncode == 0, done.stderr[-2000:]
    assert imported(done.stdout) == loaded
    show = (await world.main(ops.SHOW, {"id": loaded["acc-s2"]}))["show"]
    assert datetime.fromisoformat(show["startsAt"]) == later + timedelta(hours=3)


@pytest.mark.parametrize(("section", "index", "field", "value"), [
    ("shows", 1, "movie", "no-such-movie"),
    ("shows", 1, "hall", "no-such-hall"),
    ("cinemas", 0, "city", "no-such-city"),
    ("shows", 1, "startsAt", "not-a-time"),
])
async def test_a_bad_file_changes_nothing_and_names_the_bad_entry(
        world: World, loaded: dict[str, str], starts: datetime, tmp_path: Path,
        section: str, index: int, field: str, value: str) -> None:
    bad = copy.deepcopy(catalog(starts))
    bad["cities"].append({"id": "acc-new", "name": "Nowhereville"})
    bad["movies"].append({"id": "acc-new-movie", "title": "Never Imported", "rating": 5.0,
                          "durationMinutes": 90, "languages": ["English"], "genres": ["Drama"]})
    bad["shows"][0]["startsAt"] = (starts + timedelta(minutes=45)).isoformat()
    bad[section][index][field] = value
    path = write(tmp_path, "bad.json", bad)
    before = (await world.main(ops.SHOW, {"id": loaded["acc-s1"]}))["show"]
    done = cli("import", str(path))
    assert done.returncode != 0
    message = done.stderr + done.stdout
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1)
                if value in text)
    names = (value in message or f"{section}[{index}]" in message
             or f"{section}.{index}" in message or re.search(rf"\bline {line}\b", message))
    assert names, message[-2000:]
    assert "Traceback" not in message
    assert "Nowhereville" not in {c["name"] for c in (await world.main(ops.CITIES))["cities"]}
    movies = {m["title"] for m in (await world.main(ops.MOVIES))["movies"]}
    assert "Never Imported" not in movies
    assert (await world.main(ops.SHOW, {"id": loaded["acc-s1"]}))["show"] == before


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"cities": [')
    done = cli("import", str(path))
    assert done.returncode != 0 and "Traceback" not in done.stderr
