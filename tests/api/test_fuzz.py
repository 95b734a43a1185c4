"""Generated operations (valid and invalid) never produce a stack trace or an uncoded error.

hypothesis-graphql builds documents from the live schema; every answer must be JSON whose
errors all carry `extensions.code` or are plain validation errors, and never show internals.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode, from_schema, nodes

from schema.root import schema

SDL = str(schema)
SCALARS = {
    "DateTime": st.datetimes(timezones=st.just(UTC)).map(
        lambda d: nodes.String(d.isoformat())
    ) | st.sampled_from([nodes.String("not a date"), nodes.String("")]),
}
LEAKS = ("Traceback", "asyncpg", "File \"", "Exception", "psycopg", "SELECT ")


def _check(body: dict) -> None:
    text = json.dumps(body)
    assert not any(leak in text for leak in LEAKS), text[:2000]
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code != "INTERNAL_SERVER_ERROR", error
        if error.get("path"):  # execution errors (not document validation) carry a code
            assert code, error


async def test_generated_queries_and_mutations_never_leak(api, app):
    # every limit of the public surface stays on (document depth/aliases/cost, text cap, body
    # size, time budget); only the per-address bucket is widened so all 240 documents run
    state = app.state.boxoffice
    state.settings = dataclasses.replace(state.settings, burst_per_address=10_000)
    assert state.settings.rate_limits_enabled and state.settings.query_cost_budget
    token = await api.token("fuzz@example.com")
    documents: list[str] = []

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(st.one_of(
        from_schema(SDL, custom_scalars=SCALARS),
        from_schema(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    ))
    def collect(doc: str) -> None:
        documents.append(doc)

    collect()  # hypothesis drives a sync function: collect first, then send on our loop
    assert any(d.lstrip().startswith("mutation") for d in documents)
    for doc in documents:
        body = await api.raw(doc, token=token)
        _check(body)
        assert not any((e.get("extensions") or {}).get("code") == "RATE_LIMITED"
                       for e in body.get("errors") or []), body
