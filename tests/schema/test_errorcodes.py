"""ErrorCodes (schema/errorcodes.py), our replacement for a patched MaskErrors: every error
gets a code, an unexpected exception is masked (message, code, no trace of it) and logged,
an outage answers TRY_AGAIN; the same on a single result and on a stream's results.

A schema of its own with resolvers that raise: the production schema has no resolver that
fails on purpose. The API-level behaviour (coded refusals) is in tests/api/test_bad_input.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

import pytest
import strawberry

from schema.errorcodes import ErrorCodes
from schema.errors import coded


class SecretBug(RuntimeError):
    pass


@strawberry.type
class Query:
    @strawberry.field
    def bug(self) -> int:
        raise SecretBug("password=hunter2 at db.internal:5432")

    @strawberry.field
    def outage(self) -> int:
        raise ConnectionRefusedError("redis:6379 refused")

    @strawberry.field
    def refused(self) -> int:
        raise coded("no show 7", "NOT_FOUND")

    @strawberry.field
    def fine(self) -> int:
        return 1


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        yield 1
        raise SecretBug("password=hunter2")


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription, extensions=[ErrorCodes])


def _codes(errors: list) -> list[str]:
    return [e.extensions["code"] for e in errors]


async def test_an_unexpected_exception_is_masked_and_logged(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.ERROR, logger="boxoffice.graphql"):
        result = await SCHEMA.execute("{ fine bug }")
    (error,) = result.errors or []
    assert error.message == "Unexpected error." and error.extensions == {
        "code": "INTERNAL_SERVER_ERROR"}
    assert error.original_error is None and error.path == ["bug"]
    assert "hunter2" not in str(error.formatted) and "SecretBug" not in str(error.formatted)
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is SecretBug]
    assert logged, "the bug is logged with its traceback"


async def test_an_outage_answers_try_again():
    result = await SCHEMA.execute("{ outage }")
    (error,) = result.errors or []
    assert error.extensions == {"code": "TRY_AGAIN"} and "refused" not in error.message


async def test_coded_and_graphql_core_errors_keep_or_get_a_code():
    result = await SCHEMA.execute("{ refused }")
    assert _codes(result.errors or []) == ["NOT_FOUND"]
    assert (result.errors or [])[0].message == "no show 7"
    result = await SCHEMA.execute("{ nope }")  # validation
    assert _codes(result.errors or []) == ["BAD_USER_INPUT"]
    result = await SCHEMA.execute("{ fine ")  # syntax
    assert _codes(result.errors or []) == ["BAD_USER_INPUT"]


async def test_a_streamed_result_is_masked_too():
    stream = await SCHEMA.subscribe("subscription { ticks }")
    results = [r async for r in stream]  # type: ignore[union-attr]
    assert results[0].data == {"ticks": 1} and not results[0].errors
    (error,) = results[-1].errors or []
    assert error.message == "Unexpected error." and _codes([error]) == ["INTERNAL_SERVER_ERROR"]
