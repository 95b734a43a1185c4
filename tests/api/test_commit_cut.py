"""A failover that cuts a reserve's COMMIT: the answer follows what the surviving primary holds.

db.serializable raises CommitOutcomeUnknown when the connection is lost after COMMIT went out
(tests/services/test_transactions.py proves that on a real backend). Which way the COMMIT went
cannot be staged on one server, so the fault is injected at that seam: the real transaction
runs (or does not), then the same error is raised as a lost connection would raise it.
- committed: the caller gets their Reservation, with its after-commit effects (expiry job);
- not committed: TRY_AGAIN, and nothing is held ("nothing changed": a retry is safe).
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg
import pytest
from arq.constants import default_queue_name
from redis.asyncio import Redis

from boxoffice import db
from boxoffice.services.jobs import expiry_job_id
from tests.api.booking_ops import RESERVE
from tests.factories import make_show

real_serializable = db.serializable


def _cut(commit_went_through: bool) -> Any:
    async def serializable(fn: Any, **kwargs: Any) -> Any:
        if commit_went_through:
            await real_serializable(fn, **kwargs)
        lost = asyncpg.exceptions.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation")
        raise db.CommitOutcomeUnknown("connection lost during COMMIT") from lost
    return serializable


async def _held(show_id: int) -> list[str]:
    rows = await db.pool().fetch(
        "SELECT label FROM show_seat WHERE show = $1 AND status = 'HELD' ORDER BY label", show_id)
    return [r["label"] for r in rows]


async def test_a_committed_hold_whose_answer_was_lost_is_the_callers_reservation(
        api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    show = await make_show()
    token = await api.token("cut@example.com")
    monkeypatch.setattr(db, "serializable", _cut(commit_went_through=True))
    body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id),
                                             "seats": ["J-13", "J-12"]}}, token=token)
    assert not body.get("errors"), body
    res = body["data"]["reserve"]
    assert res["__typename"] == "Reservation" and res["seats"] == ["J-12", "J-13"], res
    assert await _held(show.show_id) == ["J-12", "J-13"]
    # the after-commit effects ran for it: the hold will expire on time
    redis = Redis.from_url(os.environ["REDIS_URL"])
    try:
        job = expiry_job_id(int(res["id"]))
        assert await redis.zscore(default_queue_name, job) is not None
    finally:
        await redis.aclose()


async def test_a_hold_whose_commit_was_lost_answers_try_again_and_holds_nothing(
        api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    show = await make_show()
    token = await api.token("cut2@example.com")
    monkeypatch.setattr(db, "serializable", _cut(commit_went_through=False))
    body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id),
                                             "seats": ["J-12"]}}, token=token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["TRY_AGAIN"], body
    assert await _held(show.show_id) == []
    monkeypatch.undo()  # the client's retry, on a healthy primary, holds the seat
    again = await api(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["J-12"]}},
                      token=token)
    assert again["reserve"]["__typename"] == "Reservation"
