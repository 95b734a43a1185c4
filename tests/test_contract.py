"""The front-end contract: the SDL file is current, a superset of docs/contract.md, and every
example operation validates against the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate
from graphql.utilities import find_breaking_changes

from devtools.contract import SDL_PATH, render_sdl
from schema.root import schema

CONTRACT_DIR = Path(__file__).resolve().parent.parent / "frontend_contract"
OPERATIONS = sorted((CONTRACT_DIR / "operations").glob("*.graphql"))


def test_schema_file_is_current():
    assert SDL_PATH.read_text() == render_sdl(), "run `make schema` and commit the result"


def test_schema_is_a_superset_of_the_contract():
    baseline = build_schema((CONTRACT_DIR / "contract_baseline.graphql").read_text())
    ours = build_schema(SDL_PATH.read_text())
    breaking = find_breaking_changes(baseline, ours)
    assert not breaking, "\n".join(f"{c.type.name}: {c.description}" for c in breaking)


def test_there_are_example_operations():
    assert len(OPERATIONS) >= 8


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.name)
def test_operation_is_valid(path: Path):
    document = parse(path.read_text())
    errors = validate(schema._schema, document)
    assert not errors, [e.message for e in errors]
