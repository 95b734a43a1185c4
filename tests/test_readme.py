"""The README's examples work as pasted, at any hour (issue #14).

- Every fenced shell block of README.md is either run here (with a check of what it printed) or
  excused below with a reason: a new example fails this test until someone decides which.
- The run blocks are pasted in README order into one `bash -euo pipefail` (later blocks use the
  first one's `KEY`, `TOKEN`, `gql` and `SHOW`) against `boxoffice dev` — migrate, the demo
  seed, serve and worker — on a free port and a database of its own. The only edit is the port:
  `localhost:8000` becomes the dev server's.
- What they print is checked: no GraphQL error except those a block shows on purpose, and every
  result union answered by its success member (a refusal would print its `message`).
- Every GraphQL document in the README (shell and JS blocks, inline code) is valid against the
  schema, and on every result union selects `__typename` and, on each member, `message` when the
  member has one (some field otherwise), so a refusal explains itself. The JS block's live seat
  map is also subscribed to, with that document and the show the shell examples found.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from graphql import (
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    get_named_type,
    parse,
    validate,
    visit,
)

from tests.realtime.support import free_port, subscribed

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SDL = ROOT / "frontend_contract" / "schema.graphql"
BIN = Path(sys.executable).parent
PASTED_HOST = "localhost:8000"

Answers = list[dict[str, Any]]


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int  # of the opening fence, 1-based

    def matches(self, key: str) -> bool:
        return key in self.text


def fenced_blocks() -> list[Block]:
    blocks: list[Block] = []
    body: list[str] = []
    lang: str | None = None
    start = 0
    for number, line in enumerate(README.read_text().splitlines(), 1):
        if line.startswith("```"):
            if lang is None:
                lang, start, body = line[3:].strip(), number, []
            else:
                blocks.append(Block(lang, "\n".join(body), start))
                lang = None
        elif lang is not None:
            body.append(line)
    assert lang is None, f"README.md:{start}: unclosed code fence"
    return blocks


SHELL = {"bash", "sh", "shell"}

# Shell blocks not run here, each with the reason (matched by a string only it contains).
EXCUSED = {
    "make run ": "the two commands that build the whole environment (make test runs this test)",
    "boxoffice cluster --api": "nginx and N processes on port 8080: tests/realtime/test_cluster.py",
    "target_session_attrs": "needs a multi-host Postgres pair: tests/replica/test_failover.py",
    "ticket-key generate >": "a rotation restarts every process: tests/test_cli.py",
    "SECRET_KEY_PREVIOUS=": "a rotation restarts every process: tests/test_secret_key.py",
    "benchmarks/faults.py": "a benchmark of minutes",
    "tests/faults/test_matrix.py": "runs a test suite",
    "LOG_FORMAT=json boxoffice serve": "a server in the foreground: tests/test_logs.py",
    "boxoffice serve --workers 2": "its own server on port 8000: tests/observability/",
    "OTEL_ENABLED=on": "a server in the foreground that needs the otel extra",
}


# --- what each run block must have printed ------------------------------------------------


def _codes(answers: Answers) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for a in answers for e in a.get("errors", [])]


def _typenames(answers: Answers) -> list[str]:
    return [v["__typename"] for a in answers for v in (a.get("data") or {}).values()
            if isinstance(v, dict) and "__typename" in v]


def check_booking(answers: Answers, out: str) -> None:
    search = next(a["data"]["search"] for a in answers if "search" in (a.get("data") or {}))
    assert search["edges"], "the next Marvel show in Bangalore was not found"
    assert _typenames(answers) == ["Reservation", "Booking"], answers


def check_import(answers: Answers, out: str) -> None:
    assert re.search(r"^show sw-0900 \d+$", out, re.M), out


def check_keys(answers: Answers, out: str) -> None:
    assert answers and answers[0]["keys"][0]["alg"] == "EdDSA", out


def check_check_in(answers: Answers, out: str) -> None:
    assert _typenames(answers) == ["CheckedIn"], answers


def check_bomb(answers: Answers, out: str) -> None:
    assert _codes(answers) == ["QUERY_TOO_COMPLEX"], answers


def check_apq(answers: Answers, out: str) -> None:
    assert _codes(answers)[:1] == ["PERSISTED_QUERY_NOT_FOUND"], answers
    assert [a["data"]["seatMap"]["version"] for a in answers if a.get("data")], answers
    assert re.search(r"^cache-control: public, max-age=1\r?$", out, re.I | re.M), out
    assert out.rstrip().endswith("304"), out


def check_room(answers: Answers, out: str) -> None:
    assert answers[-1]["data"]["joinWaitingRoom"]["admitted"] is True, answers  # no onSaleAt


RUN: dict[str, Callable[[Answers, str], None]] = {
    "TOKEN=$(boxoffice token": check_booking,
    "boxoffice import catalog.json": check_import,
    "/tickets/keys": check_keys,
    "checkIn(qrPayload": check_check_in,
    "BOMB=": check_bomb,
    "persistedQuery": check_apq,
    "joinWaitingRoom(showId": check_room,
}
# errors a block shows on purpose; any other error fails
EXPECTED_ERRORS = {"BOMB=": {"QUERY_TOO_COMPLEX"}, "persistedQuery": {"PERSISTED_QUERY_NOT_FOUND"}}
SUCCESS = {"Reservation", "Booking", "CheckedIn"}


def _classify(block: Block) -> str:
    keys = [k for k in (*RUN, *EXCUSED) if block.matches(k)]
    assert len(keys) == 1, (f"README.md:{block.line}: a shell example must be run by "
                            f"tests/test_readme.py or excused there with a reason; matched {keys}")
    return keys[0]


def shell_blocks() -> list[tuple[str, Block]]:
    return [(_classify(b), b) for b in fenced_blocks() if b.lang in SHELL]


def test_every_shell_example_is_run_or_excused() -> None:
    keys = [k for k, _ in shell_blocks()]
    assert sorted(keys) == sorted({*RUN, *EXCUSED}), "each key names exactly one block"


# --- every GraphQL document ---------------------------------------------------------------

_JSON_QUERY = re.compile(r'"?query"?\s*:\s*"((?:[^"\\]|\\.)*)"', re.S)  # JSON, JS, jq objects
_INLINE = re.compile(r"`((?:query|mutation|subscription)\b[^`{]*\{[^`]*|\{ [^`]*)`")
_DOCUMENT_START = re.compile(r"(query|mutation|subscription)\b[^{]*\{|\{\s")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")


def _shell_words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def documents() -> list[tuple[int, str]]:
    """(README line, document) for every GraphQL document the README shows."""
    found = []
    for block in fenced_blocks():
        if block.lang == "graphql":
            found.append((block.line, block.text))
            continue
        strings = [json.loads(f'"{m}"', strict=False) for m in _JSON_QUERY.findall(block.text)]
        if block.lang in SHELL and not block.matches("BOMB="):  # the bomb is built by a loop
            # a document is a word of its own (single-quoted, maybe assigned: Q='query …')
            words = [_ASSIGNMENT.sub("", w).strip() for w in _shell_words(block.text)]
            strings += [w for w in words if _DOCUMENT_START.match(w)]
        found += [(block.line, s) for s in strings]
    text = README.read_text()
    for m in _INLINE.finditer(text):
        found.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    return found


def _schema() -> GraphQLSchema:
    return build_schema(SDL.read_text())


class _UnionSelections(Visitor):
    """Where a document selects a union without `__typename`, or a member without a field that
    explains it (`message` when the member has one)."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.problems: list[str] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        union = get_named_type(self.type_info.get_type())
        if not isinstance(union, GraphQLUnionType) or node.selection_set is None:
            return
        chosen = _fields_by_member(node.selection_set)
        if "__typename" not in chosen.get(None, set()):
            self.problems.append(f"{node.name.value}: select __typename")
        for member in union.types:
            fields = chosen.get(member.name, set())
            if "message" in member.fields and "message" not in fields:
                self.problems.append(f"{node.name.value}: select message on {member.name}")
            elif not fields:
                self.problems.append(f"{node.name.value}: select a field of {member.name}")


def _fields_by_member(selection_set: SelectionSetNode) -> dict[str | None, set[str]]:
    """Field names selected per member (None: on the union itself)."""
    chosen: dict[str | None, set[str]] = {}
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            chosen.setdefault(None, set()).add(sel.name.value)
        elif isinstance(sel, InlineFragmentNode) and sel.type_condition is not None:
            chosen.setdefault(sel.type_condition.name.value, set()).update(
                s.name.value for s in sel.selection_set.selections if isinstance(s, FieldNode))
    return chosen


def union_problems(schema: GraphQLSchema, document: str) -> list[str]:
    type_info = TypeInfo(schema)
    checker = _UnionSelections(type_info)
    visit(parse(document), TypeInfoVisitor(type_info, checker))
    return checker.problems


def test_the_readme_shows_the_documents_it_should() -> None:
    docs = [d for _, d in documents()]
    for needle in ("search(", "seatMap(", "reserve(", "confirm(", "checkIn(", "myBookings(",
                   "joinWaitingRoom(", "subscription ($show: ID!) { seatMap", "SeatStatuses"):
        assert any(needle in d for d in docs), needle


@pytest.mark.parametrize("line,document", documents(), ids=lambda v: str(v)[:40])
def test_document_is_valid_and_explains_refusals(line: int, document: str) -> None:
    schema = _schema()
    errors = validate(schema, parse(document))
    assert not errors, f"README.md:{line}: {[e.message for e in errors]}"
    assert not union_problems(schema, document), f"README.md:{line}"


def test_the_union_rule_can_fail() -> None:
    schema = _schema()
    assert union_problems(schema, 'mutation { reserve(input: {showId: "1", seats: []}) { '
                                  "__typename ... on Reservation { id } } }")
    assert isinstance(schema.get_type("Reservation"), GraphQLObjectType)


# --- the examples, run ----------------------------------------------------------------------


def _database_url() -> str:
    head, _, query = os.environ["DATABASE_URL"].partition("?")
    return f"{head}_readme" + (f"?{query}" if query else "")


def _recreate_database(url: str) -> None:
    import asyncpg

    async def go() -> None:
        base, name = url.split("?")[0].rsplit("/", 1)
        admin = await asyncpg.connect(base + "/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    # a thread of its own: pytest-asyncio's session loop may be running in this one
    worker = threading.Thread(target=lambda: asyncio.run(go()))
    worker.start()
    worker.join()


def _install(*tools: str) -> None:
    """What the examples say they need (curl, jq), from Debian's packages when missing."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True, capture_output=True)
            subprocess.run(install, env=env, check=True, capture_output=True)
    assert [t for t in tools if shutil.which(t) is None] == [], "apt-get could not install them"


@dataclass
class DevServer:
    port: int
    env: dict[str, str]

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """`boxoffice dev` (migrate, seed, serve + worker) on a free port and a fresh database."""
    from redis import Redis

    url = _database_url()
    _recreate_database(url)
    Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # no seat-map cache of another database
    env = {**os.environ, "DATABASE_URL": url, "BOXOFFICE_ENV": "dev",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    port = free_port()
    log = tmp_path_factory.mktemp("readme") / "dev.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN / "boxoffice"), "dev", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 180  # migrate and seed first, on a busy machine
        while True:
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(0.3)
        yield DevServer(port, env)
    finally:
        proc.terminate()  # dev stops its serve and worker
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


MARK = "@@readme-block@@"


@dataclass(frozen=True)
class Run:
    outputs: dict[str, str]  # block key → what it printed
    variables: dict[str, str]  # KEY, TOKEN, SHOW after the last block


@pytest.fixture(scope="module")
def run(dev_server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    _install("curl", "jq")
    blocks = [(k, b) for k, b in shell_blocks() if k in RUN]
    parts = ["set -euo pipefail"]
    for key, block in blocks:
        parts += [f"echo {shlex.quote(MARK + key)}",
                  block.text.replace(PASTED_HOST, f"localhost:{dev_server.port}")]
    parts.append(f'echo "{MARK}"; printf "%s\\n" "$KEY" "$TOKEN" "$SHOW"')
    script = tmp_path_factory.mktemp("readme-run") / "examples.sh"
    script.write_text("\n".join(parts) + "\n")
    # a pipe, not a file: `tee /dev/stderr` would reopen a file and write over the output
    done = subprocess.run(["bash", str(script)], env=dev_server.env, cwd=script.parent,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-6000:]
    *sections, tail = done.stdout.split(MARK)[1:]
    outputs = {}
    for section in sections:
        key, _, out = section.partition("\n")
        outputs[key] = out
    key, token, show = tail.split()
    return Run(outputs, {"KEY": key, "TOKEN": token, "SHOW": show})


def answers_in(out: str) -> Answers:
    found = []
    for line in out.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                found.append(json.loads(line))
    return found


def _success_everywhere(answers: Answers) -> list[Any]:
    """Union results that are not a success member (each would carry its message)."""
    return [v for a in answers for v in (a.get("data") or {}).values()
            if isinstance(v, dict) and "__typename" in v and v["__typename"] not in SUCCESS]


@pytest.mark.parametrize("key", list(RUN))
def test_example_runs_as_pasted(run: Run, key: str) -> None:
    out = run.outputs[key]
    answers = answers_in(out)
    unexpected = set(_codes(answers)) - EXPECTED_ERRORS.get(key, set())
    assert not unexpected, out
    assert not _success_everywhere(answers), out
    RUN[key](answers, out)


async def test_the_live_seat_map_example_subscribes(run: Run, dev_server: DevServer) -> None:
    js = next(b for b in fenced_blocks() if b.lang == "js")
    query = json.loads(f'"{_JSON_QUERY.findall(js.text)[0]}"')
    init = {"apiKey": run.variables["KEY"], "authorization": f"Bearer {run.variables['TOKEN']}"}
    async with subscribed(dev_server, init, query, {"show": run.variables["SHOW"]}) as sub:
        first = await sub.next(within=20)
    assert first["seatMap"]["snapshot"]["free"] >= 0, first


def test_answers_in_finds_a_refusal() -> None:
    refused = answers_in('{"data":{"reserve":{"__typename":"SeatsTaken","seats":["A-1"]}}}\n')
    assert _success_everywhere(refused)
